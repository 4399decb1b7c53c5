"""Versioned prompt templates (harness.prompts): sandbox, strict variables, identity hash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jinja2
import pytest
from jinja2.exceptions import SecurityError

from harness.claims import Document
from harness.corpus import load_documents
from harness.errors import UserInputError
from harness.prompts import list_prompts, load_prompt
from harness.schemas import extraction_schema

REPO = Path(__file__).resolve().parents[1]
PROMPTS = REPO / "prompts"
SEED = "000_10ba7ebf5372380a"
DOC = Document(id="d1", text="Officials said the bridge will reopen in May.", title="Bridge")


def make_prompt(root: Path, system: str = "sys", user: str = "{{ document.text }}") -> Path:
    folder = root / "p" / "v1"
    folder.mkdir(parents=True)
    (folder / "prompt.yaml").write_text("description: test prompt\n", encoding="utf-8")
    (folder / "system.j2").write_text(system, encoding="utf-8")
    (folder / "user.j2").write_text(user, encoding="utf-8")
    return folder


def render_error(tmp_path: Path, system: str = "sys", user: str = "u") -> UserInputError:
    make_prompt(tmp_path, system, user)
    prompt = load_prompt("p@v1", tmp_path)
    with pytest.raises(UserInputError) as info:
        prompt.render(DOC)
    return info.value


# --- shipped prompts ------------------------------------------------------------------------


def test_shipped_prompts_are_listed() -> None:
    assert {"extract@v1", "extract@v2", "extract@v3"} <= set(list_prompts(PROMPTS))


@pytest.mark.parametrize("ref", ["extract@v1", "extract@v2"])
def test_shipped_prompts_render_a_seed_document(ref: str) -> None:
    (seed,) = [d for d in load_documents(REPO / "seeds") if d.id == SEED]
    prompt = load_prompt(ref, PROMPTS)
    assert (prompt.name, prompt.version, prompt.ref) == ("extract", ref[-2:], ref)
    assert len(prompt.content_hash) == 16 and int(prompt.content_hash, 16) >= 0
    rendered = prompt.render(seed)
    assert rendered.system and "JSON" in rendered.system
    assert seed.text.strip() in rendered.user
    assert json.dumps(extraction_schema(), indent=1) in rendered.user
    assert [m["role"] for m in rendered.messages()] == ["system", "user"]
    assert rendered.messages()[1]["content"] == rendered.user


def test_v3_has_no_example_to_copy_and_fences_the_article_last() -> None:
    # 001 has a title (the owner's seed 000 has none), so the title line is checked too.
    (seed,) = [d for d in load_documents(REPO / "seeds") if d.id.startswith("001_")]
    assert seed.title
    user = load_prompt("extract@v3", PROMPTS).render(seed).user
    article = user.index(f"=== ARTICLE: {seed.title} ===")
    assert seed.text.strip() in user[article : user.index("=== END OF ARTICLE ===")]
    assert user.rstrip().endswith("Every evidence must be a sentence of the ARTICLE.")
    assert '"properties"' not in user  # no schema text: the request schema constrains
    assert '"statement": "' not in user  # no worked example a small model could copy


def test_v2_renders_the_title_when_present() -> None:
    rendered = load_prompt("extract@v2", PROMPTS).render(DOC)
    assert 'Article ("Bridge"):' in rendered.user
    untitled = load_prompt("extract@v2", PROMPTS).render(DOC.model_copy(update={"title": None}))
    assert "Article:" in untitled.user and '("' not in untitled.user.split("Article")[-1]


def test_bare_name_loads_the_highest_version(tmp_path: Path) -> None:
    for version in ("v2", "v10"):
        shutil.copytree(PROMPTS / "extract" / "v1", tmp_path / "extract" / version)
    assert load_prompt("extract", tmp_path).version == "v10"  # numeric, not "v2" > "v10"
    assert load_prompt("extract", PROMPTS).version == "v3"


# --- sandbox and strict variables ----------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ document.__class__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_blocks_python_internals(tmp_path: Path, template: str) -> None:
    error = render_error(tmp_path, system=template)
    assert isinstance(error.__cause__, SecurityError)
    assert str(error).startswith(f"{tmp_path / 'p' / 'v1' / 'system.j2'}: ")
    assert "unsafe" in str(error)


def test_misspelt_variable_names_the_file(tmp_path: Path) -> None:
    error = render_error(tmp_path, user="{{ documnet.text }}")
    assert isinstance(error.__cause__, jinja2.UndefinedError)
    assert str(error) == f"{tmp_path / 'p' / 'v1' / 'user.j2'}: 'documnet' is undefined"


def test_misspelt_document_field_is_an_error_too(tmp_path: Path) -> None:
    error = render_error(tmp_path, user="{{ document.titel }}")
    assert isinstance(error.__cause__, jinja2.UndefinedError)
    assert "user.j2: " in str(error) and "titel" in str(error)


def test_template_runtime_errors_name_the_file(tmp_path: Path) -> None:
    error = render_error(tmp_path, user="{{ range(10**9)|list }}")  # sandbox range limit
    assert str(error).startswith(f"{tmp_path / 'p' / 'v1' / 'user.j2'}: OverflowError")
    shutil.rmtree(tmp_path / "p")
    assert "user.j2: ZeroDivisionError" in str(render_error(tmp_path, user="{{ 1 // 0 }}"))


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    make_prompt(tmp_path, user="ok\n{% if %}\n")
    with pytest.raises(UserInputError, match=r"user\.j2: line 2: "):
        load_prompt("p@v1", tmp_path)


# --- prompt.yaml and folder errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("description: x\nmodel: gpt\n", "prompt.yaml: model: Extra inputs are not permitted"),
        ("output_schema: extraction\n", "prompt.yaml: description: Field required"),
        ("description: [unclosed\n", "prompt.yaml: while parsing"),
        ("description: x\noutput_schema: gold\n", "prompt.yaml: output_schema: only"),
    ],
)
def test_bad_prompt_yaml(tmp_path: Path, yaml_text: str, message: str) -> None:
    folder = make_prompt(tmp_path)
    (folder / "prompt.yaml").write_text(yaml_text, encoding="utf-8")
    with pytest.raises(UserInputError, match=message):
        load_prompt("p@v1", tmp_path)


def test_missing_files_and_unknown_names(tmp_path: Path) -> None:
    folder = make_prompt(tmp_path)
    (folder / "user.j2").unlink()
    with pytest.raises(UserInputError, match=r"v1: missing user\.j2$"):
        load_prompt("p@v1", tmp_path)
    with pytest.raises(UserInputError, match=r"no prompt named 'q' \(known: p@v1\)"):
        load_prompt("q", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserInputError, match=r"no version folders"):
        load_prompt("empty", tmp_path)


# --- identity hash -------------------------------------------------------------------------


def test_hash_depends_on_content_not_location(tmp_path: Path) -> None:
    shutil.copytree(PROMPTS / "extract" / "v1", tmp_path / "extract" / "v1")
    copy = load_prompt("extract@v1", tmp_path)
    assert copy.content_hash == load_prompt("extract@v1", PROMPTS).content_hash
    assert copy.content_hash != load_prompt("extract@v2", PROMPTS).content_hash


@pytest.mark.parametrize("file_name", ["prompt.yaml", "system.j2", "user.j2"])
def test_hash_changes_when_any_file_changes(tmp_path: Path, file_name: str) -> None:
    folder = tmp_path / "extract" / "v1"
    shutil.copytree(PROMPTS / "extract" / "v1", folder)
    before = load_prompt("extract@v1", tmp_path).content_hash
    original = (folder / file_name).read_text(encoding="utf-8")
    (folder / file_name).write_text(original + "\n", encoding="utf-8")  # one newline
    changed = load_prompt("extract@v1", tmp_path).content_hash
    (folder / file_name).write_text(original, encoding="utf-8")
    assert changed != before
    assert load_prompt("extract@v1", tmp_path).content_hash == before


def test_hash_separates_files(tmp_path: Path) -> None:
    # Moving text from the end of system.j2 to the start of user.j2 keeps the concatenation
    # but must change the identity (each file is hashed with its name and a separator).
    make_prompt(tmp_path, system="ab", user="c")
    first = load_prompt("p@v1", tmp_path).content_hash
    shutil.rmtree(tmp_path / "p")
    make_prompt(tmp_path, system="a", user="bc")
    assert load_prompt("p@v1", tmp_path).content_hash != first
