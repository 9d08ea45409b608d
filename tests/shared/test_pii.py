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
