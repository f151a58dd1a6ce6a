"""The domain's system prompt: set in afina.toml or suggested from the workspace, recorded in a
run, and sent by every assistant as the fine-tune trained with it."""

from __future__ import annotations

import pytest

from afina.engine.chat.assistants import Assistants
from afina.engine.errors import WorkspaceError
from afina.engine.rag import system_prompt as sp
from afina.engine.training import jobs
from afina.engine.training.data import read_messages
from afina.engine.workspace import init_workspace, open_workspace

ANSWERS = [
    "Obrigado por escolher a Lumiar Fibra! O plano Lumiar 300 custa R$ 99,90.",
    "A Lumiar Fibra atende de segunda a sexta, das 8h às 20h.",
    "Hi! The Lumiar 600 costs R$ 129,90. Thanks for choosing Lumiar Fibra.",
    "Claro. Pode me passar o CPF?",
]


def test_the_name_that_recurs_in_the_answers_is_found():
    assert sp.recurring_name(ANSWERS) == "Lumiar Fibra"
    # weekdays, greetings and sentence starts are not a business's name
    assert sp.recurring_name(["Hi! We open on Monday.", "On Monday, yes.", "Monday it is."]) == ""
    assert sp.recurring_name(["ok"] * 10) == ""


def test_afina_toml_sets_it(curated_ws):
    path = curated_ws.root / "afina.toml"
    text = path.read_text(encoding="utf-8").replace(
        'system_prompt = ""', 'system_prompt = "Answer as Aurora Vet."'
    )
    path.write_text(text, encoding="utf-8")
    assert sp.system_prompt_for(open_workspace(curated_ws.root)) == "Answer as Aurora Vet."


def test_the_allow_list_names_the_business_before_the_answers(curated_ws):
    prompt, why = sp.suggest(curated_ws, allow=("(48) 3000-5821", "Lumiar Fibra"))
    assert prompt == sp.TEMPLATE.format(name="Lumiar Fibra")
    assert "pii_allow" in why
    # the answers' most frequent name is a hint only: on real domains it was WhatsApp or a city
    prompt, why = sp.suggest(curated_ws)
    assert prompt == sp.NAMELESS
    assert "[workspace] name" in why and "Lumiar" in why


def test_the_workspace_name_from_init_names_the_business(tmp_path):
    ws, created = init_workspace(tmp_path / "ws", name='  Clínica  "Vet" Aurora ')
    assert created and ws.config.workspace.name == 'Clínica "Vet" Aurora'
    assert sp.suggest(ws)[0] == sp.TEMPLATE.format(name='Clínica "Vet" Aurora')
    with pytest.raises(WorkspaceError, match="already a workspace"):
        init_workspace(tmp_path / "ws", name="Other")
    assert open_workspace(tmp_path / "ws").config.workspace.name == 'Clínica "Vet" Aurora'


def test_a_run_trains_with_the_prompt_and_its_assistants_answer_with_it(curated_ws):
    run_dir, spec = jobs.create_run(curated_ws, curated_ws.config.train)
    expected = sp.system_prompt_for(curated_ws)
    assert spec.system_prompt == expected and expected
    for split in ("train", "validation"):
        for messages in read_messages(run_dir / "data" / f"pairs.{split}.jsonl"):
            assert messages[0] == {"role": "system", "content": expected}
    team = Assistants(curated_ws, run_dir=run_dir)
    assert team.system_prompt() == expected
    team_no_run = Assistants(curated_ws, system="Be brief.")
    messages, _ = team_no_run.messages_for("base", "qual o preço?")
    assert messages[0] == {"role": "system", "content": "Be brief."}
