from __future__ import annotations

import dataclasses

import pytest

from afina.engine.config import DEFAULT_TOML, Config, parse_config
from afina.engine.errors import ConfigError
from afina.engine.training.recommend import CHOSEN


def test_documented_defaults_are_the_defaults():
    written = parse_config(DEFAULT_TOML)
    assert dataclasses.replace(written, train_keys=frozenset()) == Config()
    # what a new workspace leaves to the recommendations (engine.training.recommend)
    assert not written.train_keys & set(CHOSEN)


def test_every_default_key_is_documented_with_a_comment():
    lines = DEFAULT_TOML.splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), f"undocumented key: {line}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[workspace]\nnmae = 'x'", "unknown key 'workspace.nmae'"),
        ("[imports]\n", "unknown key 'imports'"),
        (
            "[import]\nmax_zip_member_mib = 'big'",
            "'import.max_zip_member_mib' must be a whole number",
        ),
        ("[import]\nmax_zip_member_mib = true", "must be a whole number"),
        ("[import]\nmax_zip_member_mib = -1", "must not be negative"),
        ("[workspace]\nname = 3", "'workspace.name' must be text"),
        ("[import.options]\nwhatsapp = 1", "must hold one table per name"),
        ("workspace = 1", "[workspace] must be a table"),
        ("[workspace\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config(text)


def test_importer_options_are_kept():
    c = parse_config("[import.options.whatsapp]\ndate_order = 'mdy'\n")
    assert c.import_.options == {"whatsapp": {"date_order": "mdy"}}


def test_lists_of_text():
    c = parse_config("[curate]\npii_allow = ['(48) 3000-5821', 'a@b.com']\n")
    assert c.curate.pii_allow == ("(48) 3000-5821", "a@b.com")
    with pytest.raises(ConfigError, match="must be a list of text values"):
        parse_config("[curate]\npii_allow = [1]\n")
