"""Protobuf messages to the JSON the browsers get: field names as in the protos, enums as
short lowercase words ("mail", "approved", "applicant"), timestamps as RFC 3339; and, as
people may see it, without the keyed pseudonym and with ID numbers down to their last four
characters (services.shared.pii.for_people), whoever the browser belongs to."""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import Message

from services.shared import pii

WELL_KNOWN = {"google.protobuf.Timestamp", "google.protobuf.Duration"}


def enum_prefix(enum: EnumDescriptor) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def short_enum(enum: EnumDescriptor, name: str) -> str:
    return name.removeprefix(enum_prefix(enum)).lower()


def enum_name(enum: EnumDescriptor, word: str | None) -> Any:
    """ "mail" → "DELIVERY_METHOD_MAIL" (what message constructors take); None stays unset."""
    if word is None:
        return None
    name = enum_prefix(enum) + word.upper()
    if name not in enum.values_by_name:
        raise KeyError(name)
    return name


def _shorten(descriptor: Any, data: dict[str, Any]) -> dict[str, Any]:
    for field in descriptor.fields:
        if field.name not in data:
            continue
        value = data[field.name]
        repeated = bool(field.is_repeated)
        if field.enum_type is not None:
            enum = field.enum_type
            data[field.name] = [short_enum(enum, v) for v in value] if repeated else short_enum(enum, value)
        elif field.message_type is not None and field.message_type.full_name not in WELL_KNOWN:
            sub = field.message_type
            if sub.GetOptions().map_entry:
                continue
            data[field.name] = [_shorten(sub, v) for v in value] if repeated else _shorten(sub, value)
    return data


def to_json(message: Message) -> dict[str, Any]:
    data = json_format.MessageToDict(
        message,
        always_print_fields_with_no_presence=True,
        preserving_proto_field_name=True,
        unquote_int64_if_possible=True,
    )
    shown: dict[str, Any] = pii.for_people(_shorten(message.DESCRIPTOR, data))
    return shown
