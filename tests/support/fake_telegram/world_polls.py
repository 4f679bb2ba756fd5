"""The simulated world's polls: users vote, change and retract votes; tallies as they are now."""

from __future__ import annotations

import copy

from .state import Chat, Message, PollView, User


class PollWorld:
    """A part of BotApi (botapi.py holds the state and its lock, `cond`)."""

    def find_poll(self, user: User, chat: Chat | None, message_id: int) -> Message:
        """The bot's poll message `message_id` in `chat`, or in the one chat `user` is in that has it."""
        if chat is not None:
            chats = [chat.id]
        else:
            chats = [user.id] + [cid for cid, g in self.groups.items() if g.is_member(user.id)]
        found = [m for cid in chats for m in self.chats.messages.get(cid, []) if m.message_id == message_id and m.poll]
        found = [m for m in found if m.from_bot and not m.deleted]
        if len(found) != 1:
            where = f"chat {chat.id}" if chat else f"the chats {user.first_name} is in"
            problem = "no poll" if not found else "several polls"
            raise AssertionError(f"{problem} of the bot with message id {message_id} in {where}; pass chat=")
        return found[0]

    def vote(self, user: User, message: Message, option_ids: list[int]) -> dict | None:
        """`user` votes (or changes or retracts their vote, with []) in the bot's poll `message`."""
        with self.cond:
            poll = message.poll
            assert poll is not None
            group = self.groups.get(message.chat.id)
            if group is not None and not group.is_member(user.id):
                raise AssertionError(f"{user.first_name} is not a member of {message.chat.title!r} and cannot vote")
            self._expire(message)
            if poll["is_closed"]:
                raise AssertionError(f"the poll {poll['question']!r} is closed; no more votes")
            options = poll["options"]
            chosen = list(option_ids)
            if any(not isinstance(i, int) or not 0 <= i < len(options) for i in chosen) or len(set(chosen)) != len(
                chosen
            ):
                raise AssertionError(f"option ids must be distinct indexes 0-{len(options) - 1}, got {option_ids}")
            if len(chosen) > 1 and not poll["allows_multiple_answers"]:
                raise AssertionError("the poll allows only one answer")
            chosen.sort()
            previous = message.votes.get(user.id, [])
            if chosen == previous:
                raise AssertionError(f"{user.first_name} already voted {previous} (nothing to change)")
            if previous and not poll["allows_revoting"]:
                raise AssertionError("the poll does not allow changing or retracting a vote (allows_revoting)")
            for index in previous:
                options[index]["voter_count"] -= 1
            for index in chosen:
                options[index]["voter_count"] += 1
            if chosen:
                message.votes[user.id] = chosen
            else:
                message.votes.pop(user.id, None)
            poll["total_voter_count"] = len(message.votes)
            answer = None
            if not poll["is_anonymous"]:
                answer = self.enqueue(
                    {
                        "poll_answer": {
                            "poll_id": poll["id"],
                            "user": user.to_api(),
                            "option_ids": chosen,
                            "option_persistent_ids": [options[i]["persistent_id"] for i in chosen],
                        }
                    }
                )
            self.enqueue({"poll": copy.deepcopy(poll)})
            return answer

    def polls(self, chat_id: int) -> list[PollView]:
        with self.cond:
            found = [m for m in self.chats.messages.get(chat_id, []) if m.from_bot and m.poll is not None]
            for message in found:
                self._expire(message)
            return [PollView.of(m) for m in found]
