"""Finding 3: the keyed pseudonym as an oracle for full ID numbers.

The attack: an operator reads a case (masked ID "110105********002X" and the pseudonym),
then, holding a kiosk key, applies with each of the ~3,000 ID numbers that fit the mask and
compares the pseudonym the kiosk gets back. Now nothing a person sees depends on the ID
number beyond its last four characters: the kiosk's answers for the true number and for a
wrong one with the same last four are identical, and no view (kiosk, official, supervisor,
operator timeline and search, live events, the CLI) carries the pseudonym, which stays in
the services that correlate cases (intake still has it)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from datetime import date, timedelta
from typing import Any

import aiohttp
import grpc
import httpx
import pytest

from cli import main as cli_main
from cli.idgen import make_id_number
from tests.gateway.gateway_support import RealStack, bearer, kiosk_headers, signed_in, staff
from tests.security.security_support import QueueProvince
from tests.support import eventually
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc

TRUE_ID = "11010519491231002X"  # 110105, 1949-12-31, sequence 002, check digit X
PSEUDONYM = re.compile(r"[0-9a-f]{32}")


def same_last_four(number: str) -> str:
    """Another valid ID number of the same district and sequence whose check digit happens
    to be the same: indistinguishable by its last four characters."""
    birth = date(1949, 12, 31)
    for days in range(1, 4000):
        candidate = make_id_number(number[:6], birth - timedelta(days=days), int(number[14:17]))
        if candidate[-4:] == number[-4:]:
            return candidate
    raise AssertionError("no candidate found")


def no_pseudonym_and_four_digits(text: str, pseudonym: str) -> None:
    assert pseudonym not in text and '"pseudonym"' not in text
    assert TRUE_ID not in text and "110105" not in text  # neither the number nor its district


async def apply(client: httpx.AsyncClient, province: str, id_number: str) -> dict[str, Any]:
    body = {
        "request_id": f"oracle-{id_number}",
        "applicant_name": "张三",
        "id_number": id_number,
        "phone": "13812345678",
        "matter_code": "HF-TRANSFER",
        "target_province": province,
    }
    reply = await client.post("/api/v1/kiosk/applications", headers=kiosk_headers(), json=body)
    assert reply.status_code == 201, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


async def test_nothing_people_see_tells_one_id_number_from_another(stack: RealStack) -> None:
    gateway = stack.gateway
    province = QueueProvince.get()  # applications only: nothing is queued
    wrong = same_last_four(TRUE_ID)
    assert wrong != TRUE_ID and wrong[-4:] == TRUE_ID[-4:]
    ws_url = gateway.url.replace("http", "ws")
    async with (
        gateway.client() as kiosk,
        signed_in(gateway, "operator-1") as operator,
        staff(gateway, "supervisor", province) as supervisor,
        aiohttp.ClientSession() as http,
    ):
        cookie = {"Cookie": f"tongban_session={operator.cookies['tongban_session']}"}
        live = await http.ws_connect(f"{ws_url}/ws/operator?province={province}", headers=cookie)
        try:
            true_case = await apply(kiosk, province, TRUE_ID)
            wrong_case = await apply(kiosk, province, wrong)
            # the oracle: the kiosk's answers for the two numbers are the same
            assert true_case["application"]["applicant"] == wrong_case["application"]["applicant"]
            assert true_case["application"]["applicant"]["id_number"] == "**************002X"
            case_id = str(true_case["case_id"])

            # the services still correlate: intake keeps the pseudonym to itself
            async with grpc.aio.insecure_channel(stack.services["intake"]) as channel:
                stub = intake_pb2_grpc.IntakeServiceStub(channel)
                inside = (
                    await stub.GetApplication(intake_pb2.GetApplicationRequest(case_id=case_id))
                ).application
            pseudonym = inside.applicant.pseudonym
            assert PSEUDONYM.fullmatch(pseudonym)

            views = [json.dumps(true_case, ensure_ascii=False)]
            own = await kiosk.get(
                f"/api/v1/kiosk/cases/{case_id}", headers=bearer(true_case["applicant_token"])
            )
            views.append(own.text)
            read = await supervisor.get(f"/api/v1/official/cases/{case_id}")
            assert read.status_code == 200, read.text
            views.append(read.text)

            async def timeline() -> str | None:
                reply = await operator.get(f"/api/v1/operator/cases/{case_id}/timeline")
                return reply.text if reply.status_code == 200 and "ApplicationCreated" in reply.text else None

            views.append(await eventually(timeline, timeout=60, interval=0.5))
            views.append(
                (await operator.get("/api/v1/operator/cases", params={"target_province": province})).text
            )

            messages: list[str] = []

            async def created_event() -> bool:
                while True:
                    try:
                        message = await live.receive_str(timeout=0.2)
                    except TimeoutError:
                        break
                    messages.append(message)
                return any(case_id in m and "ApplicationCreated" in m for m in messages)

            await eventually(created_event, timeout=30)
            views.extend(messages)
            for text in views:
                no_pseudonym_and_four_digits(text, pseudonym)
            assert any("**************002X" in text for text in views[1:])
        finally:
            await live.close()

    # the operators' CLI shows the case the same way
    cli_main.RESULTS = stack.services["results"]
    printed = await asyncio.to_thread(cli_json, case_id)
    assert case_id in printed
    no_pseudonym_and_four_digits(printed, pseudonym)


def cli_json(case_id: str) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli_main.cmd_case_show(argparse.Namespace(case_id=case_id, json=True)) == 0
    return out.getvalue()


@pytest.mark.parametrize("number", [TRUE_ID, "440524188001010014"])
def test_the_wrong_candidate_is_a_valid_number_of_the_same_shape(number: str) -> None:
    other = same_last_four(number)
    assert len(other) == 18 and other[:6] == number[:6] and other[-4:] == number[-4:] and other != number
