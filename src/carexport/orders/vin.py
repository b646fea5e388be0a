"""Vehicle identification numbers: ISO 3779 structure and the position-9 check digit.

China's GB 16735 (like North America's 49 CFR 565) requires the check digit that ISO 3779
leaves optional, so every VIN from a Chinese plant must carry a valid one. The checks are
vectorised with numpy so a million VINs take milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

VIN_LENGTH = 17
CHECK_POSITION = 8  # zero-based: the 9th character
WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
# Letters map to values; I, O and Q are not allowed (they look like 1 and 0).
_LETTER_VALUES = {
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
ALLOWED = frozenset("0123456789") | frozenset(_LETTER_VALUES)

# Lookup table by ASCII code: value of each allowed character, -1 for anything else.
_VALUE = np.full(256, -1, dtype=np.int64)
for _digit in range(10):
    _VALUE[ord(str(_digit))] = _digit
for _letter, _value in _LETTER_VALUES.items():
    _VALUE[ord(_letter)] = _value


def check_digit(vin: str) -> str:
    """The check digit ('0'-'9' or 'X') a VIN must carry at position 9."""
    total = sum(int(_VALUE[ord(ch)]) * int(w) for ch, w in zip(vin.upper(), WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problem(vin: str) -> str | None:
    """Why a VIN is invalid, or None. Messages say what would fix it."""
    if len(vin) != VIN_LENGTH:
        return f"a VIN has 17 characters, this one has {len(vin)}"
    bad = sorted({ch for ch in vin if ch not in ALLOWED})
    if bad:
        forbidden = [ch for ch in bad if ch in "IOQ"]
        if forbidden:
            return f"VINs never use I, O or Q (found {''.join(forbidden)}); check for 1 and 0"
        return f"characters not allowed in a VIN: {''.join(bad)}; use A-Z (no I, O, Q) and 0-9"
    expected = check_digit(vin)
    if vin[CHECK_POSITION] != expected:
        return (
            f"check digit (position 9) is {vin[CHECK_POSITION]} but the other characters "
            f"give {expected}; the VIN is mistyped"
        )
    return None


def invalid_mask(vins: Sequence[str]) -> npt.NDArray[np.bool_]:
    """True where a VIN is malformed or fails its check digit (vectorised).

    Callers keep the VINs in upper case; lower-case letters count as invalid here.
    """
    count = len(vins)
    invalid = np.ones(count, dtype=np.bool_)
    if count == 0:
        return invalid
    lengths = np.fromiter((len(v) for v in vins), dtype=np.int64, count=count)
    ok_length = np.flatnonzero(lengths == VIN_LENGTH)
    if ok_length.size == 0:
        return invalid
    joined = "".join(vins[int(i)] for i in ok_length) if ok_length.size < count else "".join(vins)
    # errors="replace" turns each non-ASCII character into one '?', which is not allowed.
    raw = np.frombuffer(joined.encode("ascii", errors="replace"), dtype=np.uint8)
    values = _VALUE[raw.reshape(-1, VIN_LENGTH)]
    bad_char = (values < 0).any(axis=1)
    remainder = (values.clip(min=0) @ WEIGHTS) % 11
    expected = np.where(remainder == 10, ord("X"), remainder + ord("0"))
    actual = raw.reshape(-1, VIN_LENGTH)[:, CHECK_POSITION]
    invalid[ok_length] = bad_char | (expected != actual)
    return invalid


def with_check_digit(vin_without: str) -> str:
    """Put the right check digit into a 17-character VIN (position 9 is overwritten)."""
    vin = vin_without[:CHECK_POSITION] + "0" + vin_without[CHECK_POSITION + 1 :]
    return vin[:CHECK_POSITION] + check_digit(vin) + vin[CHECK_POSITION + 1 :]


def with_check_digits(vins_without: Sequence[str]) -> list[str]:
    """with_check_digit for many VINs at once (vectorised); position 9 is overwritten."""
    if not vins_without:
        return []
    raw = np.frombuffer("".join(vins_without).encode("ascii"), dtype=np.uint8)
    raw = raw.reshape(-1, VIN_LENGTH).copy()
    raw[:, CHECK_POSITION] = ord("0")
    values = _VALUE[raw]
    if (values < 0).any():
        raise ValueError("VIN characters must be 0-9 or A-Z without I, O, Q")
    remainder = (values @ WEIGHTS) % 11
    raw[:, CHECK_POSITION] = np.where(remainder == 10, ord("X"), remainder + ord("0"))
    text = raw.tobytes().decode("ascii")
    return [text[i : i + VIN_LENGTH] for i in range(0, len(text), VIN_LENGTH)]
