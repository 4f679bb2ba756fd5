"""Render the README's pictures: the portfolio PDF's first page and the stance chart, from a made-up
cohort played through the real use cases. Run: .venv/bin/python docs/make_images.py (needs pypdfium2)."""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import exporting  # noqa: E402
from bot.app.services import Services  # noqa: E402
from bot.clock import utc_now  # noqa: E402
from bot.content.loader import load_course  # noqa: E402
from bot.content.prompts import load_prompts  # noqa: E402
from bot.exports import documents  # noqa: E402
from tests.support.play import participant, play_through  # noqa: E402

ANSWERS = [
    "I would trust it if the assessment were described: what was tested, how, and by whom. A project graded "
    "against published outcomes tells an employer more than a badge with a logo.",
    "An employer reads the issuer first, then the workload. If the university stands behind it with its own "
    "quality assurance, the small size matters less than whether the learning outcomes match the job.",
    "My assumption was that shorter means weaker. Thinking of the lab analyst, the question is rather whether "
    "the credential shows a skill that can be checked, for example in a portfolio of analyses.",
]


def main() -> None:
    prompts = load_prompts(ROOT / "prompts")
    t = lambda key, **values: prompts.t(key, "en", **values)  # noqa: E731
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        services = Services.open(Path(tmp) / "demo.db", load_course(ROOT / "content"))
        cohort = services.storage.cohorts.create("MC-2026-spring", "cli:demo")
        dialogues = [d.id for d in services.course.dialogues[:3]]
        for n in range(14):
            pid = participant(services, str(n), name=f"Student {n}", locale="en", cohort=cohort.id)
            for dialogue in dialogues[: 1 + n % 3]:
                before = rng.choice([1, 2, 2, 3, 3, 4])
                after = max(1, min(5, before + rng.choice([-1, 0, 1, 1, 2])))
                play_through(services, pid, dialogue, locale="en", before=before, after=after, answer=ANSWERS[n % 3])
        report = services.exports.cohort_report(cohort, actor="cli:demo", t=t)
        (ROOT / "docs" / "stance-chart.png").write_bytes(report.chart)
        entries = services.rights.portfolio(1, "en")
        files = documents.portfolio_files(
            "Student 0", entries, t, utc_now(), stem="p", lang="en", feed_id="urn:uuid:demo"
        )
        services.close()
    pdf = next(f.data for f in files if f.name.endswith(".pdf"))
    import pypdfium2

    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=1.1).to_pil()
    image.convert("RGB").save(ROOT / "docs" / "portfolio-page-1.png", optimize=True)
    assert exporting  # the export stack is what the chart came from


if __name__ == "__main__":
    main()
