"""A 补正 that could never be supplied is refused at the door (issue 13, bug 1): the official
may ask only for materials of the case's matter, and for at least one. Nothing is recorded,
so the case stays with the official, who can still decide it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.gateway.gateway_support import RealStack, assert_error, assigned, staff, submitted_case
from tests.support import eventually


async def test_a_supplement_request_names_only_the_matters_materials(stack: RealStack, province: str) -> None:
    gateway = stack.gateway
    async with gateway.client() as kiosk, staff(gateway, "official", province) as official:
        case_id, _ = await submitted_case(kiosk, province)  # HF-TRANSFER
        await assigned(official, case_id)

        async def decide(body: dict[str, Any], wanted: int) -> httpx.Response:
            async def attempt() -> httpx.Response | None:
                reply = await official.post(f"/api/v1/official/cases/{case_id}/decision", json=body)
                return reply if reply.status_code == wanted else None

            # results answers for the case once its projection has read the assignment
            found: httpx.Response = await eventually(attempt, timeout=30, interval=0.3)
            return found

        for supplements, code in (
            (["no_such_material"], "NOT_OF_MATTER"),
            (["bank_card"], "NOT_OF_MATTER"),  # a material of other matters, not of this one
            ([], "REQUIRED"),
        ):
            body = {"outcome": "supplement_requested", "supplements": supplements}
            error = assert_error(await decide(body, 400), 400)
            assert [(f["field"], f["code"]) for f in error["fields"]] == [("supplements", code)]
            assert error["fields"][0]["message_zh"] and error["fields"][0]["message_en"]
        asked = await decide({"outcome": "supplement_requested", "supplements": ["new_account"]}, 200)
        assert asked.json()["case"]["status"] == "SUPPLEMENT_REQUESTED"
