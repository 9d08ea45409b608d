"""Helpers of the intake tests."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

import asyncpg

from services.shared import pii
from tongban.intake.v1 import intake_pb2, intake_pb2_grpc


@dataclass
class RunningIntake:
    stub: intake_pb2_grpc.IntakeServiceStub
    database_url: str
    keyring: pii.Keyring
    pool: asyncpg.Pool


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(2048)
PDF = b"%PDF-1.7\n" + base64.b64encode(os.urandom(1024))


def upload_chunks(case_id: str, code: str, data: bytes, source: str = "upload",
                  chunk: int = 1000) -> list[intake_pb2.UploadMaterialRequest]:
    first = intake_pb2.UploadMaterialRequest(
        header=intake_pb2.UploadHeader(case_id=case_id, material_code=code, file_name="scan.jpg",
                                       source=source), data=data[:chunk])
    rest = [intake_pb2.UploadMaterialRequest(data=data[i:i + chunk])
            for i in range(chunk, len(data), chunk)]
    return [first, *rest]
