"""Sidebar filter: FTS5 trigram index vs LIKE over 10,000 conversations / 200,000 messages.

    python benchmarks/store_bench.py [--conversations N] [--messages-per N]

Prints build time, file size and per-query times (list page of 100 + count) for queries a user
types into the sidebar filter. The sidebar filters on each keystroke: the budget is ~20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _history import populate_demo_history

from fleet_tui.storage.store import Store, _like_pattern, connect, migrate

QUERIES = {
    "frequent word": "the",
    "topic (1 in 22)": "kubernetes",
    "keystrokes k..kubern": ["k", "ku", "kub", "kube", "kuber", "kubern"],
    "phrase": "follow up agreed",
    "code": "sorted(rows",
    "no match": "zebra crossing",
    "2 chars": "qu",
}

_COLUMNS = "c.id, c.title, c.updated_at"


def like_list(store: Store, agent_pk: int, q: str) -> list[tuple[object, ...]]:
    pattern = _like_pattern(q)
    return store._all(
        f"SELECT {_COLUMNS} FROM conversations c WHERE c.agent_pk = ? AND (c.title LIKE ?"
        " ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
        " AND m.content LIKE ? ESCAPE '\\')) ORDER BY c.updated_at DESC, c.id DESC LIMIT 100",
        [agent_pk, pattern, pattern],
    )


def like_count(store: Store, agent_pk: int, q: str) -> int:
    pattern = _like_pattern(q)
    return store._all(
        "SELECT COUNT(*) FROM conversations c WHERE c.agent_pk = ? AND (c.title LIKE ?"
        " ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
        " AND m.content LIKE ? ESCAPE '\\'))",
        [agent_pk, pattern, pattern],
    )[0][0]


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def build(path: Path, version: int, conversations: int, messages_per: int) -> tuple[Store, int]:
    conn = connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn, version)
    store = Store(conn, path)
    agent = store.ensure_agent("http://bench", "agent")
    start = time.perf_counter()
    populate_demo_history(store, agent.id, conversations, messages_per)
    took = time.perf_counter() - start
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size / 1e6
    print(f"  schema v{version}: populated in {took:.1f} s, file {size:.0f} MB")
    return store, agent.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages-per", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{args.conversations} conversations x {args.messages_per} messages")
        fts, fts_agent = build(Path(tmp, "fts.db"), 3, args.conversations, args.messages_per)
        like, like_agent = build(Path(tmp, "like.db"), 2, args.conversations, args.messages_per)
        text = like._all("SELECT SUM(LENGTH(content)) FROM messages")[0][0] / 1e6
        print(f"  message text: {text:.0f} MB")
        start = time.perf_counter()
        fts._all("PRAGMA quick_check")
        print(f"  quick_check on open (FTS file): {(time.perf_counter() - start) * 1000:.0f} ms")
        print()
        print(f"{'query':<36}{'FTS list':>10}{'count':>8}{'LIKE list':>11}{'count':>8}  matches")
        for label, queries in QUERIES.items():
            for q in [queries] if isinstance(queries, str) else queries:
                f_list, _ = timed(partial(fts.list_conversations, fts_agent, query=q))
                f_count, n = timed(partial(fts.count_conversations, fts_agent, q))
                l_list, _ = timed(partial(like_list, like, like_agent, q), repeat=3)
                l_count, n_like = timed(partial(like_count, like, like_agent, q), repeat=3)
                note = "" if n == n_like else f" (LIKE: {n_like})"
                name = f"{label}: {q!r}"
                print(
                    f"{name:<36}{f_list:>8.1f}ms{f_count:>6.1f}ms"
                    f"{l_list:>9.1f}ms{l_count:>6.1f}ms  {n}{note}"
                )
        for offset in (0, 5_000, 9_900):
            ms, _ = timed(partial(fts.list_conversations, fts_agent, offset=offset))
            print(f"unfiltered page at offset {offset}: {ms:.1f} ms")
        fts.close()
        like.close()


if __name__ == "__main__":
    main()
