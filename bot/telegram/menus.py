"""The bot's command menus, per scope and language: participants in private chats, facilitators and
administrators in their own private chat (the participants' commands and their own), and the
administrators of groups (the group session's commands). A failure here never stops the bot."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from ..content.prompts import Prompts

log = logging.getLogger("elenchus.telegram")

COMMANDS = {
    "menu": "commands.menu",
    "resume": "commands.resume",
    "portfolio": "commands.portfolio",
    "badge": "commands.badge",
    "mydata": "commands.mydata",
    "forget": "commands.forget",
    "privacy": "commands.privacy",
    "language": "commands.language",
    "reminders": "commands.reminders",
    "help": "commands.help",
}
"""The participants' menu in private chats: command -> prompt key of its description."""
FACILITATOR_COMMANDS = {
    "answers": "commands.answers",
    "cohorts": "commands.cohorts",
    "cohort": "commands.cohort",
    "export": "commands.export",
}
ADMIN_COMMANDS = {
    "newcohort": "commands.newcohort",
    "renew": "commands.renew",
    "revoke": "commands.revoke",
    "auditlog": "commands.auditlog",
}
GROUP_ADMIN_COMMANDS = {
    "session": "commands.session",
    "next": "commands.next",
    "pause": "commands.pause",
    "continue": "commands.continue",
    "endsession": "commands.endsession",
    "unbind": "commands.unbind",
}
"""For the administrators of groups: facilitators steer sessions as group admins."""


async def _set(bot: Bot, prompts: Prompts, commands: dict[str, str], scope: BotCommandScope) -> None:
    for locale in prompts.locales:
        menu = [BotCommand(name, prompts.t(key, locale)) for name, key in commands.items()]
        try:
            await bot.set_my_commands(menu, scope=scope, language_code=None if locale == "en" else locale)
        except TelegramError as exc:
            log.warning("event=set_commands_failed locale=%s error=%s", locale, type(exc).__name__)


async def set_public_menus(bot: Bot, prompts: Prompts) -> None:
    await _set(bot, prompts, COMMANDS, BotCommandScopeAllPrivateChats())
    await _set(bot, prompts, GROUP_ADMIN_COMMANDS, BotCommandScopeAllChatAdministrators())


async def set_staff_menu(bot: Bot, prompts: Prompts, chat_id: int, *, admin: bool) -> None:
    """A facilitator's or an administrator's own private chat: everything they can use there."""
    commands = {**COMMANDS, **FACILITATOR_COMMANDS, **(ADMIN_COMMANDS if admin else {})}
    await _set(bot, prompts, commands, BotCommandScopeChat(chat_id))
