"""What claim pages share is made once (publish/claim_fragments.py): a JSON twin assembled from encoded values
is json's text byte for byte, and text made for a stand-in claim id serves every id only where that holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from random import Random

import pytest

from generator.publish.claim_fragments import ID_STAND_INS, by_claim_id, json_object

HOSTILE = [
    "",
    "plain",
    'quotes " and \\ backslashes \\" and /slashes/',
    "control \x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x9f characters",
    "Unicode: Gödel, ≤ 2, 日本語, emoji 🧪, \u200b\u202e\u2028\u2029\ufeff",
    "lone surrogate \ud800 and </script> <!-- & &amp;",
]
VALUES: list[object] = [*HOSTILE, 0, -7, 2**70, True, False, None, 1.5, float("1e300"), [1, "a"], {"b": 1, "a": [None]}]


def dumps(value: object) -> str:
    """`render.twin_json`'s text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_a_twin_assembled_from_encoded_values_is_jsons_text() -> None:
    random = Random(11)
    for _ in range(300):
        keys = random.sample([*HOSTILE[1:], "url", "kind", "cite", "claim", "row", "Zeta", "éclair"], 6)
        values = {key: random.choice(VALUES) for key in keys[:4]}
        encoded = {key: random.choice(VALUES) for key in keys[4:]}
        made = json_object(values, {key: dumps(value) for key, value in encoded.items()})
        assert made == dumps({**values, **encoded})
        assert json.loads(made) == json.loads(dumps({**values, **encoded}))


def test_text_for_a_stand_in_id_serves_every_id() -> None:
    def make(claim_id: str) -> tuple[str, ...]:
        return f"Claim {claim_id}", f'{{"url":"claims/{claim_id}/","id":"kb:claim:{claim_id}"}}', "no id"

    filled = by_claim_id(make)
    assert filled is not make
    for claim_id in ("c-00000000", "c-0123abcd", "c-ffffffffffff", ID_STAND_INS[1]):
        assert filled(claim_id) == make(claim_id)


@pytest.mark.parametrize(
    "make",
    [
        lambda claim_id: (f"Claim {claim_id.upper()}",),  # the id is written changed
        lambda claim_id: (f"Claim {claim_id} of site {ID_STAND_INS[0]}",),  # other text holds the stand-in
        lambda claim_id: (f"Claim {claim_id}", "x" if claim_id == ID_STAND_INS[0] else "y"),  # not by the id alone
    ],
)
def test_text_that_a_stand_in_cannot_serve_is_made_for_each_id(make: Callable[[str], tuple[str, ...]]) -> None:
    assert by_claim_id(make) is make
