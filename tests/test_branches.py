"""The branch tree read from a thread's checkpoint history (domain/branches.py).

The histories are shaped like the ones the real server writes for the echo graph (checked on
langgraph-api 0.16.7): an "input" checkpoint per turn, a step per node, a fork from an input
checkpoint for an edit, a "fork" copy of the checkpoint before a reply for a regeneration.
"""

from __future__ import annotations

from typing import Any

from fleet_tui.domain.branches import BranchTree, checkpoint_of, message_key


class History:
    """Builds a history: checkpoints are added oldest first; `states()` gives newest first."""

    def __init__(self) -> None:
        self._states: list[dict[str, Any]] = []
        self._count = 0

    def add(self, parent: str | None, *messages: str, **values: Any) -> str:
        self._count += 1
        cid = f"cp{self._count:03d}"
        self._states.append(
            {
                "checkpoint": {"checkpoint_id": cid, "thread_id": "t"},
                "parent_checkpoint": None if parent is None else {"checkpoint_id": parent},
                "values": {
                    "messages": [{"id": m, "type": _type(m), "content": m} for m in messages],
                    **values,
                },
                "next": [],
            }
        )
        return cid

    def states(self) -> list[dict[str, Any]]:
        return list(reversed(self._states))


def _type(message_id: str) -> str:
    return "human" if message_id.startswith("h") else "ai"


def two_turns() -> tuple[History, dict[str, str]]:
    """h1 → a1, h2 → a2, as the echo graph writes it."""
    h = History()
    c: dict[str, str] = {}
    c["in1"] = h.add(None)  # input, no messages yet
    c["s0"] = h.add(c["in1"], "h1")
    c["s1"] = h.add(c["s0"], "h1", "a1")
    c["in2"] = h.add(c["s1"], "h1", "a1")  # input of the second turn
    c["s3"] = h.add(c["in2"], "h1", "a1", "h2")
    c["s4"] = h.add(c["s3"], "h1", "a1", "h2", "a2")
    return h, c


def ids(path: Any) -> list[str]:
    return [message_key(m, i) for i, m in enumerate(path.messages)]


def test_a_straight_thread_has_one_branch_and_no_siblings() -> None:
    h, c = two_turns()
    tree = BranchTree(h.states())
    path = tree.path()
    assert ids(path) == ["h1", "a1", "h2", "a2"]
    assert path.tip == c["s4"] and tree.head == c["s4"]
    assert path.forks == {}
    assert (path.number, path.count) == (1, 1)
    # the checkpoint before each message: the parent of the first checkpoint holding it
    assert path.before == (c["in1"], c["s0"], c["in2"], c["s3"])
    assert tree.complete


def test_editing_the_first_message_makes_two_siblings() -> None:
    h, c = two_turns()
    edited_input = h.add(c["in1"])  # the run from the checkpoint before h1
    h.add(edited_input, "h1b")
    new_tip = h.add(h.states()[0]["checkpoint"]["checkpoint_id"], "h1b", "a1b")
    tree = BranchTree(h.states())

    head = tree.path()
    assert ids(head) == ["h1b", "a1b"]
    assert head.tip == new_tip
    fork = head.forks[0]
    assert fork.label == "2/2" and fork.options == (c["s0"], fork.options[1])
    assert (head.number, head.count) == (2, 2)

    old = tree.path(tree.switch(head, 0, -1))
    assert ids(old) == ["h1", "a1", "h2", "a2"]
    assert old.forks[0].label == "1/2"
    assert 2 not in old.forks  # h2 has no siblings
    # switching past either end stays there
    assert tree.switch(old, 0, -1) == c["s4"]
    assert tree.switch(old, 0, +5) == new_tip


def test_regenerating_a_reply_forks_from_the_checkpoint_before_it() -> None:
    h, c = two_turns()
    copy = h.add(c["s3"], "h1", "a1", "h2")  # the server's "fork" copy
    regenerated = h.add(copy, "h1", "a1", "h2", "a2b")
    tree = BranchTree(h.states())
    path = tree.path()
    assert ids(path) == ["h1", "a1", "h2", "a2b"]
    assert path.forks[3].label == "2/2"
    assert set(path.forks) == {3}
    old = tree.path(tree.switch(path, 3, -1))
    assert ids(old) == ["h1", "a1", "h2", "a2"]
    assert tree.path(regenerated).tip == regenerated


def test_an_edit_of_an_edit_is_a_third_sibling_not_a_nested_pair() -> None:
    h, c = two_turns()
    in_b = h.add(c["in1"])
    s_b = h.add(in_b, "h1b")
    h.add(s_b, "h1b", "a1b")
    # the web UI and this app fork "before h1b" from its own input checkpoint
    in_c = h.add(in_b)
    s_c = h.add(in_c, "h1c")
    tip_c = h.add(s_c, "h1c", "a1c")
    tree = BranchTree(h.states())
    path = tree.path()
    assert ids(path) == ["h1c", "a1c"] and path.tip == tip_c
    assert path.forks[0].label == "3/3"
    assert (path.number, path.count) == (3, 3)
    middle = tree.path(tree.switch(path, 0, -1))
    assert ids(middle) == ["h1b", "a1b"]


def test_the_second_message_edited_keeps_the_first_turn_shared() -> None:
    h, c = two_turns()
    in_b = h.add(c["in2"], "h1", "a1")  # a new input checkpoint under the second turn's
    s_b = h.add(in_b, "h1", "a1", "h2b")
    h.add(s_b, "h1", "a1", "h2b", "a2b")
    tree = BranchTree(h.states())
    path = tree.path()
    assert ids(path) == ["h1", "a1", "h2b", "a2b"]
    assert set(path.forks) == {2}
    assert path.before[2] == in_b
    assert ids(tree.path(tree.switch(path, 2, -1))) == ["h1", "a1", "h2", "a2"]


def test_a_tip_that_went_on_resolves_to_its_newest_leaf() -> None:
    h, c = two_turns()
    in_b = h.add(c["in1"])
    s_b = h.add(in_b, "h1b")
    tip_b = h.add(s_b, "h1b", "a1b")
    # the original branch goes on after the fork (another client continued it)
    in3 = h.add(c["s4"], "h1", "a1", "h2", "a2")
    s5 = h.add(in3, "h1", "a1", "h2", "a2", "h3")
    later = h.add(s5, "h1", "a1", "h2", "a2", "h3", "a3")
    tree = BranchTree(h.states())
    assert tree.path(c["s4"]).tip == later  # the stored tip went on: its newest leaf
    assert tree.path(tip_b).tip == tip_b  # the local choice stays where it is
    assert tree.path().tip == later  # the server's head
    assert tree.path("unknown").tip == later
    assert tree.tip_under(c["in1"]) == later


def test_the_tip_values_carry_the_branch_state() -> None:
    h = History()
    root = h.add(None)
    a = h.add(root, "h1", "a1", todos=[{"content": "A", "status": "pending"}])
    in_b = h.add(root)
    b = h.add(in_b, "h1b", "a1b", todos=[{"content": "B", "status": "done"}])
    tree = BranchTree(h.states())
    assert tree.path(a).values["todos"][0]["content"] == "A"
    assert tree.path(b).values["todos"][0]["content"] == "B"


def test_a_partial_history_roots_at_the_part_that_leads_to_the_head() -> None:
    h, c = two_turns()
    states = h.states()[:4]  # the newest four: s4, s3, in2, s1 (s1's parent was not read)
    tree = BranchTree(states)
    assert not tree.complete
    path = tree.path()
    assert ids(path) == ["h1", "a1", "h2", "a2"]
    # h1 and a1 were first seen in the root read: no checkpoint before them is known
    assert path.before[:2] == (None, None)
    assert path.before[2] == c["in2"]


def test_an_empty_or_broken_history() -> None:
    tree = BranchTree([])
    assert tree.head is None and tree.path().tip is None and tree.path().messages == ()
    tree = BranchTree([{"values": {}}, "nonsense", None])
    assert len(tree) == 0
    assert checkpoint_of({"checkpoint_id": "x", "parent_checkpoint_id": "y"}) is not None


def test_messages_without_ids_are_known_by_position() -> None:
    assert message_key({"content": "x"}, 3) == "#3"
    assert message_key({"id": "m1"}, 3) == "m1"
