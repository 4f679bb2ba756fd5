"""`elenchus graph`: a Mermaid flowchart with every node and every way out of it."""

from __future__ import annotations

from bot.cli.graph import mermaid
from bot.engine.model import Choose, End

from ..support.cli import run_cli


def test_every_node_and_edge_is_drawn(mini):
    chart = mermaid(mini)
    assert chart.startswith("flowchart TD\n")
    for node in mini.nodes.values():
        assert f"  n_{node.id.replace('-', '_')}" in chart
    assert "  n_pick -->|Student| n_q_student" in chart
    assert "  n_pick -->|Employer| n_q_employer" in chart
    assert "  n_hook --> n_before" in chart
    assert "(only if role=employer)" in chart
    assert "n_end([" in chart and " end" not in chart.replace("n_end", ""), "`end` is a Mermaid keyword"
    edges = sum(
        len(n.options) if isinstance(n, Choose) else 0 if isinstance(n, End) else 1 for n in mini.nodes.values()
    )
    assert chart.count("-->") == edges


def test_cli_graph():
    result = run_cli("graph", "value-and-trust")
    assert result.returncode == 0
    assert "n_whose_view -->|A hiring manager| n_q_employer" in result.stdout
    assert run_cli("graph", "nope").returncode == 2
