"""`tongban`: the operators' command line.

    tongban events tail [--type T] [--province P] [--case C] [--since 10m] [--json]
    tongban case show CASE_ID [--json]
    tongban stats [--json]
    tongban lag [--json]
    tongban dlq list [--json]
    tongban dlq replay OFFSET        put a dead-lettered record back on its topic
    tongban replay [--schema S] [--drop] [--json]
                                     rebuild the results projection from the topics
    tongban simulate --halls N --officials M --rate R --duration S [--chart F.png]

Addresses come from TONGBAN_KAFKA_BOOTSTRAP, TONGBAN_<SERVICE>_ADDR,
TONGBAN_RESULTS_DATABASE_URL and TONGBAN_TOPIC_NAMESPACE (the `make dev` defaults
otherwise). Everything shown is masked: events never carry clear personal data, and the
simulator keeps the ID numbers and phones it generates out of its output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from services.shared import cloudevents, pii, topics
from services.shared.cloudevents import Envelope, PoisonRecord

KAFKA = os.environ.get("TONGBAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
RESULTS = os.environ.get("TONGBAN_RESULTS_ADDR", "127.0.0.1:7054")
RESULTS_DB = os.environ.get("TONGBAN_RESULTS_DATABASE_URL", "postgresql://tongban@127.0.0.1:5433/results")
NAMESPACE = os.environ.get("TONGBAN_TOPIC_NAMESPACE", "")
DETAIL_FIELDS = (
    "province",
    "target_province",
    "official_id",
    "position",
    "outcome",
    "level",
    "reason",
    "window_id",
    "material_code",
    "status",
)


def parse_since(text: str) -> float:
    """ "10m", "2h", "30s", "1d" → seconds."""
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError("use a number and s, m, h or d, e.g. 10m")
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


def event_line(envelope: Envelope) -> str:
    data = json.loads(envelope.to_json())
    details = " ".join(f"{k}={data[k]}" for k in DETAIL_FIELDS if data.get(k) not in (None, ""))
    return (
        f"{envelope.time:%Y-%m-%d %H:%M:%S}  {envelope.source:<8} {envelope.short_type:<22} "
        f"case={envelope.case_id or '-'} {details}"
    ).rstrip()


def matches(envelope: Envelope, args: argparse.Namespace) -> bool:
    if args.type and args.type.lower() not in envelope.short_type.lower():
        return False
    if args.case and envelope.case_id != args.case:
        return False
    if args.province:
        data = json.loads(envelope.to_json())
        provinces = {
            data.get("province"),
            data.get("target_province"),
            data.get("hall_province"),
            envelope.key,
        }
        if args.province not in provinces:
            return False
    return True


def catalog() -> topics.Catalog:
    """The topics of the stack the CLI talks to (TONGBAN_TOPIC_NAMESPACE)."""
    try:
        return topics.load(namespace=NAMESPACE)
    except topics.CatalogError as error:
        raise SystemExit(f"tongban: TONGBAN_TOPIC_NAMESPACE: {error}") from None


def read_events(
    bootstrap: str, since_s: float | None, follow: bool, idle_ms: int = 2000
) -> Iterator[Envelope]:
    names = catalog().event_topics()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=-1 if follow else idle_ms,
    )
    partitions = [TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n) or ()]
    consumer.assign(partitions)
    if since_s is None:
        consumer.seek_to_end()
    else:
        start_ms = int((time.time() - since_s) * 1000)
        found = consumer.offsets_for_times({tp: start_ms for tp in partitions})
        for tp in partitions:
            if found.get(tp) is not None:
                consumer.seek(tp, found[tp].offset)
            else:
                consumer.seek_to_end(tp)
    try:
        for record in consumer:
            try:
                yield cloudevents.decode(record.key, record.value, record.headers)
            except PoisonRecord:
                continue
    finally:
        consumer.close()


def cmd_events_tail(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since else None
    for envelope in read_events(KAFKA, since, follow=not args.no_follow):
        if matches(envelope, args):
            if args.json:
                print(
                    json.dumps(
                        {
                            "id": envelope.id,
                            "type": envelope.type,
                            "source": envelope.source,
                            "time": envelope.time.isoformat(),
                            "key": envelope.key,
                            # as people may see it: no pseudonym, ID numbers' last four
                            "data": pii.for_people(json.loads(envelope.to_json())),
                        },
                        ensure_ascii=False,
                    ),
                    flush=True,
                )
            else:
                print(event_line(envelope), flush=True)
    return 0


async def results_call(method: str, request: Any) -> Any:
    import grpc

    from tongban.results.v1 import results_pb2_grpc

    async with grpc.aio.insecure_channel(RESULTS) as channel:
        stub = results_pb2_grpc.ResultsServiceStub(channel)
        return await getattr(stub, method)(request, timeout=10)


def cmd_case_show(args: argparse.Namespace) -> int:
    from google.protobuf import json_format

    from tongban.results.v1 import results_pb2

    case = asyncio.run(results_call("GetCase", results_pb2.GetCaseRequest(case_id=args.case_id)))
    timeline = asyncio.run(
        results_call("GetCaseTimeline", results_pb2.GetCaseTimelineRequest(case_id=args.case_id))
    )
    if args.json:
        print(
            json.dumps(
                pii.for_people(
                    {
                        "case": json_format.MessageToDict(case.case),
                        "timeline": [
                            json_format.MessageToDict(e)
                            | {"dataJson": json.dumps(pii.for_people(json.loads(e.data_json or "{}")))}
                            for e in timeline.events
                        ],
                    }
                ),
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    c = case.case
    print(
        f"case {c.case_id}  status {c.status}  {c.hall_province} → {c.target_province}  "
        f"matter {c.matter_code}  applicant {c.applicant.name} "
        f"{pii.mask_id_for_people(c.applicant.id_number)}"
    )
    for event in timeline.events:
        print(
            f"  {event.time.ToDatetime():%Y-%m-%d %H:%M:%S.%f}  {event.source:<8} "
            f"{event.type.rsplit('.', 1)[1]}"
        )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from google.protobuf import json_format

    from cli.textout import table
    from tongban.results.v1 import results_pb2

    reply = asyncio.run(results_call("GetStats", results_pb2.GetStatsRequest()))
    if args.json:
        print(json.dumps([json_format.MessageToDict(r) for r in reply.rows], indent=2))
        return 0
    print(
        table(
            "Cross-province figures",
            [
                "hall → target",
                "matter",
                "volume",
                "wait p50 s",
                "wait p90 s",
                "handling p50 s",
                "approved",
                "satisfied",
                "overdue",
            ],
            [
                [
                    f"{r.hall_province} → {r.target_province}",
                    r.matter_code,
                    r.volume,
                    r.median_wait_seconds,
                    r.p90_wait_seconds,
                    r.median_handling_seconds,
                    f"{r.approval_rate:.0%}",
                    f"{r.satisfaction_rate:.0%}",
                    r.overdue,
                ]
                for r in reply.rows
            ],
        )
    )
    return 0


def consumer_lag(bootstrap: str) -> list[dict[str, Any]]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    rows: list[dict[str, Any]] = []
    try:
        # kafka-python 3 answers {group: {partition: offset}}; the results projection keeps
        # its offsets in PostgreSQL with its rows, so it shows no committed offsets here
        owned = catalog().owns_group
        for group in sorted(g["group_id"] for g in admin.list_groups() if owned(g["group_id"])):
            answer = admin.list_group_offsets(group)
            offsets = answer.get(group, {}) if isinstance(answer, dict) else {}
            if not offsets:
                continue
            ends = consumer.end_offsets(list(offsets))
            per_topic: dict[str, int] = {}
            for tp, meta in offsets.items():
                per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, ends[tp] - meta.offset)
            rows += [{"group": group, "topic": t, "lag": lag} for t, lag in sorted(per_topic.items())]
    finally:
        consumer.close()
        admin.close()
    return rows


def cmd_lag(args: argparse.Namespace) -> int:
    from cli.textout import table

    rows = consumer_lag(KAFKA)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            table(
                "Consumer lag", ["group", "topic", "lag"], [[r["group"], r["topic"], r["lag"]] for r in rows]
            )
        )
    return 0


def dead_letters(bootstrap: str) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        catalog().dead_letter,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=2000,
    )
    found = []
    for record in consumer:
        headers = {k: v.decode(errors="replace") for k, v in record.headers if v is not None}
        found.append(
            {
                "offset": record.offset,
                "topic": headers.get("dlq_topic", ""),
                "reason": headers.get("dlq_reason", ""),
                "consumer": headers.get("dlq_consumer", ""),
                "time": headers.get("dlq_time", ""),
                "type": headers.get("ce_type", ""),
                "key": (record.key or b"").decode(errors="replace"),
                "record": record,
            }
        )
    consumer.close()
    return found


def replay_dead_letter(bootstrap: str, offset: int) -> dict[str, Any]:
    """Puts one dead-lettered record back on its original topic, original headers only."""
    entry = next((d for d in dead_letters(bootstrap) if d["offset"] == offset), None)
    if entry is None:
        raise SystemExit(f"tongban: no dead-letter record at offset {offset}")
    record = entry["record"]
    headers = [(k, v) for k, v in record.headers if not k.startswith("dlq_")]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    producer.send(entry["topic"], key=record.key, value=record.value, headers=headers).get(15)
    producer.close()
    return entry


def cmd_dlq(args: argparse.Namespace) -> int:
    if args.action == "replay":
        entry = replay_dead_letter(KAFKA, args.offset)
        print(f"replayed offset {args.offset} to {entry['topic']}")
        return 0
    entries = dead_letters(KAFKA)
    if args.json:
        print(
            json.dumps(
                [{k: v for k, v in e.items() if k != "record"} for e in entries], ensure_ascii=False, indent=2
            )
        )
        return 0
    for e in entries:
        print(f"{e['offset']:>6}  {e['time'][:19]}  {e['topic']:<20} {e['consumer']:<12} {e['reason']}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from cli.replay import ReplayError, replay
    from cli.textout import table

    try:
        report = asyncio.run(
            replay(
                args.database_url,
                KAFKA,
                args.schema,
                args.case or [],
                drop=args.drop,
                show_progress=not args.json,
                namespace=NAMESPACE,
            )
        )
    except ReplayError as error:
        print(f"tongban: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(table("Results projection rebuilt from the topics", ["measure", "value"], report.rows()))
        for case_id, (live, rebuilt) in report.per_case.items():
            print(f"  case {case_id}: {live} events live, {rebuilt} rebuilt")
        for case_id, live, rebuilt in report.differing[:20]:
            print(f"  differs: case {case_id or '(none)'}: {live} live, {rebuilt} rebuilt")
        for case_id, live_status, rebuilt_status in report.status_differing[:20]:
            print(f"  status differs: case {case_id}: {live_status} live, {rebuilt_status} rebuilt")
        if not report.live_caught_up:
            print("  the live projection had not read as far as the replay: rerun later")
        print("  matches the live projection" if report.matches else "  does NOT match the live projection")
        if not args.drop:
            print(f"  kept; drop it with: DROP SCHEMA {report.schema} CASCADE")
    return report.exit_code


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share is between 0 and 1")
    return value


def service_addresses() -> dict[str, str]:
    return {
        name: os.environ[f"TONGBAN_{name.upper()}_ADDR"]
        for name in ("intake", "routing", "window", "results")
        if os.environ.get(f"TONGBAN_{name.upper()}_ADDR")
    }


def cmd_simulate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cli import simulate
    from cli.population import PlanError, Shares

    try:
        settings = simulate.Settings(
            halls=args.halls,
            officials=args.officials,
            rate=args.rate,
            duration=args.duration,
            shares=Shares(args.supplement_share, args.reject_share),
            talk_s=args.talk,
            timeout_s=args.timeout,
            seed=args.seed,
            provinces=tuple(p.strip() for p in args.provinces.split(",") if p.strip()),
        )
        report = asyncio.run(
            simulate.simulate(settings, kafka=KAFKA, addresses=service_addresses(), namespace=NAMESPACE)
        )
    except PlanError as error:
        print(f"tongban: {error}", file=sys.stderr)
        return 2
    chart = simulate.chart(report, Path(args.chart)) if args.chart else None
    if args.json:
        print(
            json.dumps(
                {**report.to_json(), "chart": str(chart) if chart else None}, ensure_ascii=False, indent=2
            )
        )
    else:
        print(simulate.tables(report))
        if chart:
            print(f"chart: {chart}")
    return 0 if all(j.closed for j in report.journeys) else 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="tongban", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True)
    events = commands.add_parser("events").add_subparsers(dest="action", required=True)
    tail = events.add_parser("tail", help="live events, one line each")
    tail.add_argument("--type")
    tail.add_argument("--province")
    tail.add_argument("--case")
    tail.add_argument("--since", help="start that long ago, e.g. 10m (default: now)")
    tail.add_argument("--no-follow", action="store_true", help="stop when caught up")
    tail.add_argument("--json", action="store_true")
    tail.set_defaults(run=cmd_events_tail)
    case = commands.add_parser("case").add_subparsers(dest="action", required=True)
    show = case.add_parser("show", help="a case's timeline, masked")
    show.add_argument("case_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=cmd_case_show)
    stats = commands.add_parser("stats", help="operator figures from results")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(run=cmd_stats)
    lag = commands.add_parser("lag", help="consumer groups and their lag per topic")
    lag.add_argument("--json", action="store_true")
    lag.set_defaults(run=cmd_lag)
    dlq = commands.add_parser("dlq", help="dead-letter records")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("offset", type=int, nargs="?", default=-1)
    dlq.add_argument("--json", action="store_true")
    dlq.set_defaults(run=cmd_dlq)
    rebuild = commands.add_parser(
        "replay",
        help="rebuild the results projection from the topics"
        " into a fresh schema and compare it with the live one",
    )
    rebuild.add_argument(
        "--database-url",
        default=RESULTS_DB,
        help="the results database (default: TONGBAN_RESULTS_DATABASE_URL)",
    )
    rebuild.add_argument("--schema", help="default: results_replay_<UTC time>")
    rebuild.add_argument("--case", action="append", help="show this case's counts (repeatable)")
    rebuild.add_argument("--drop", action="store_true", help="drop the schema after comparing")
    rebuild.add_argument("--json", action="store_true")
    rebuild.set_defaults(run=cmd_replay)
    sim = commands.add_parser(
        "simulate", help="applicants at halls and bot officials driving whole journeys through the stack"
    )
    sim.add_argument("--halls", type=int, default=4, help="halls, spread over provinces")
    sim.add_argument("--officials", type=int, default=4, help="bot officials")
    sim.add_argument("--rate", type=positive_float, default=0.5, help="applicants a second")
    sim.add_argument("--duration", type=positive_float, default=30, help="seconds of arrivals")
    sim.add_argument(
        "--supplement-share", type=share, default=0.1, help="first decisions that ask for 补正 materials"
    )
    sim.add_argument("--reject-share", type=share, default=0.05, help="decisions that reject")
    sim.add_argument(
        "--talk", type=positive_float, default=1.0, help="seconds in the video window before deciding"
    )
    sim.add_argument(
        "--timeout", type=positive_float, default=180, help="a journey longer than this counts as stuck"
    )
    sim.add_argument("--provinces", default="", help="target provinces, e.g. 310000,440000")
    sim.add_argument("--seed", type=int)
    sim.add_argument("--chart", help="write the per-stage latency chart to this PNG")
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(run=cmd_simulate)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "dlq" and args.action == "replay" and args.offset < 0:
        print("tongban: dlq replay needs the record's offset (see `tongban dlq list`)", file=sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
