import pytest

from services.shared import pii
from services.shared.pii import CryptoError, Keyring


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("34010419900101123X", "340104********123X"),
        ("11010519491231002X", "110105********002X"),
        ("", ""),
        ("12345", "*****"),
        ("12345678901234", "*" * 14),
        ("340104900101123", "340104*****1123"),  # first-generation 15-digit number
    ],
)
def test_mask_id_number(raw: str, masked: str) -> None:
    assert pii.mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("李", "*"),
        ("Li Wei", "L* W**"),
        ("  ", ""),
        ("", ""),
        ("Li", "L*"),
        ("A B", "* *"),
        ("阿依古丽·买买提", "阿*******"),
    ],
)
def test_mask_name(raw: str, masked: str) -> None:
    assert pii.mask_name(raw) == masked


def test_mask_phone() -> None:
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_phone("123") == "***"
    assert pii.mask_phone("") == ""
    assert pii.mask_phone("1381234") == "*******"  # too short to show 3 + 4 of it
    assert pii.mask_phone("+8613812345678") == "+86*******5678"


def keyring(*kids: str) -> str:
    return ",".join(f"{k}:{KEYS[k]}" for k in kids)


KEYS = {"k1": pii.generate_key(), "k2": pii.generate_key()}


def test_round_trip_and_rotation() -> None:
    old = Keyring.parse(keyring("k1"))
    sealed = old.encrypt(b"34010419900101123X", b"case-1|id")
    assert b"34010419900101123X" not in sealed
    rotated = Keyring.parse(keyring("k2", "k1"))  # k2 now current, k1 still decrypts
    assert rotated.decrypt(sealed, b"case-1|id") == b"34010419900101123X"
    assert rotated.encrypt(b"x").startswith(b"v1:k2:")
    with pytest.raises(CryptoError, match="unknown key id k2"):
        old.decrypt(rotated.encrypt(b"x"))


def test_tampering_and_wrong_binding_are_detected() -> None:
    ring = Keyring.parse(keyring("k1"))
    sealed = bytearray(ring.encrypt(b"13812345678", b"case-1|phone"))
    with pytest.raises(CryptoError, match="tampered"):
        ring.decrypt(bytes(sealed), b"case-2|phone")
    sealed[-1] ^= 1
    with pytest.raises(CryptoError, match="tampered"):
        ring.decrypt(bytes(sealed), b"case-1|phone")
    with pytest.raises(CryptoError, match="not a Tongban ciphertext"):
        ring.decrypt(b"plain text")


def test_an_explicit_current_key_and_a_stray_comma() -> None:
    ring = Keyring.parse(keyring("k1", "k2") + ",", current="k2")
    assert ring.current == "k2" and set(ring.keys) == {"k1", "k2"}
    assert ring.encrypt(b"x").startswith(b"v1:k2:")


def test_keys_never_appear_in_a_repr() -> None:
    ring = Keyring.parse(keyring("k1"))
    assert "keys" not in repr(ring) and str(ring.keys["k1"]) not in repr(ring)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "no keys"),
        (" , ", "no keys"),
        ("k1", "kid:base64key"),
        (":QUJD", "kid:base64key"),
        ("k1:not*base64", "base64"),
        ("k1:" + "QUJD", "32 bytes"),
        (f"k1:{KEYS['k1']},k1:{KEYS['k2']}", "appears twice"),
    ],
)
def test_bad_keyrings_are_refused(text: str, error: str) -> None:
    with pytest.raises(CryptoError, match=error):
        Keyring.parse(text)


def test_a_current_key_outside_the_ring_is_refused() -> None:
    with pytest.raises(CryptoError, match="k9 is not in the keyring"):
        Keyring.parse(keyring("k1"), current="k9")


def test_empty_plaintext_and_empty_associated_data_round_trip() -> None:
    ring = Keyring.parse(keyring("k1"))
    assert ring.decrypt(ring.encrypt(b"")) == b""
    assert ring.encrypt(b"same") != ring.encrypt(b"same")  # fresh nonce every time


def test_pseudonym_is_stable_keyed_and_normalised() -> None:
    a = pii.pseudonym(b"s1", "11010519491231002x")
    assert a == pii.pseudonym(b"s1", "1101051949 1231002X")
    assert a == pii.pseudonym(b"s1", "１１０１０５１９４９１２３１００２Ｘ\t")  # full-width, from an IME
    assert a != pii.pseudonym(b"s2", "11010519491231002X")
    assert len(a) == 32 and int(a, 16) >= 0


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("34010419900101123X", "**************123X"),
        ("340104********123X", "**************123X"),  # the services' masked form, again
        ("340104900101123", "***********1123"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_people_see_the_last_four_of_an_id_number_only(shown: str, expected: str) -> None:
    assert pii.mask_id_for_people(shown) == expected


def test_for_people_drops_the_pseudonym_everywhere_and_shortens_id_numbers() -> None:
    view = {
        "case": {"applicant": {"name": "张*", "id_number": "110105********002X", "pseudonym": "p" * 32}},
        "events": [{"data": {"applicant": {"id_number": "110105********002X", "pseudonym": "q"}}}],
        "pseudonym": "top",
    }
    assert pii.for_people(view) == {
        "case": {"applicant": {"name": "张*", "id_number": "**************002X"}},
        "events": [{"data": {"applicant": {"id_number": "**************002X"}}}],
    }


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("申请人身份证 11010519491231002X", ["id_number"]),
        ("id 110105194912310021 (check digit mistyped)", ["id_number"]),
        ("旧证 340104900101123", ["id_number"]),
        ("１１０１０５１９４９１２３１００２Ｘ", ["id_number"]),  # full width, from an IME
        ("请联系 13812345678", ["phone"]),
        ("call 138 1234 5678 or +86-139-1234-5678", ["phone"]),
        ("电话 0571-88123456", ["phone"]),
        ("11010519491231002X / 13812345678", ["id_number", "phone"]),
        ("《住房公积金管理条例》第二十四条", []),
        ("Art. 24, Housing Provident Fund Regulations (2019)", []),
        ("certificate TB-310000-20250101-0001", []),
        ("case 3f2a9c1e-5b7d-4e1a-9c3b-138123456789", []),  # digits inside an id
        ("masked 110105********002X, 138****5678", []),
        ("2024-05-01 10:00, 20 working days", []),
    ],
)
def test_personal_numbers_in_free_text(text: str, kinds: list[str]) -> None:
    assert pii.personal_numbers(text) == kinds
