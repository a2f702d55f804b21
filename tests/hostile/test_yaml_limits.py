"""Hostile YAML, refused by the reader in one line, exit 2, nothing written, at once.

Every YAML the user gives goes through ``simulation/scenario/yaml_reader.py``: scenario
files (and the files they extend), ``--set`` values, sweep files and ``calibrate
--parameters`` files. Each case below is a real ``run.py`` command against an input
that once kept a CPU busy for minutes (alias bombs), overflowed the stack (deep
brackets) or ended in a traceback (a NUL, a binary file, a number Python cannot make).
The unit tests at the end call :func:`load_yaml` directly, at the limits.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_arguments import AT_ONCE_S, JULY, ROOT, run_py

from simulation.scenario import ScenarioError, load_yaml, read_scenario_data
from simulation.scenario.yaml_reader import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_EXTENDS, MAX_KEY_CHARS, MAX_VALUES

JULY_TEXT = (ROOT / "scenarios" / f"{JULY}.yaml").read_text(encoding="utf-8")
SWEEP_HEAD = "scenario: 2017-07-04_raqqa\nreplicates: 1\nseed: 1\n"


def laughs(levels: int = 9, width: int = 9, flow: bool = False) -> str:
    """A "billion laughs": each anchor a list of ``width`` aliases of the one before (width**levels values)."""
    names = [chr(ord("a") + i) for i in range(levels)]
    first = f"&a [{', '.join(['lol'] * width)}]"
    rest = [f"&{name} [{', '.join([f'*{before}'] * width)}]" for before, name in itertools.pairwise(names)]
    if flow:
        return f"[{', '.join([first, *rest])}]"
    return "".join(f"{name}: {value}\n" for name, value in zip(names, [first, *rest]))


def merge_laughs(levels: int = 9, width: int = 9, flow: bool = False) -> str:
    """The same with merge keys: each mapping merges ``width`` aliases of the one before (PyYAML 6.0.0 and
    6.0.1, which ``pyyaml>=6`` allows, copy every merged pair: width**levels of them)."""
    first = "&k0 {" + ", ".join(f"x{i}: {i}" for i in range(width)) + "}"
    rest = [f"&k{i} {{<<: [{', '.join([f'*k{i - 1}'] * width)}], y: 1}}" for i in range(1, levels)]
    if flow:
        return f"[{', '.join([first, *rest])}]"
    return "".join(f"k{i}: {value}\n" for i, value in enumerate([first, *rest]))


def deep_aliases(depth: int = 90, links: int = 3) -> str:
    """Anchors each nested ``depth`` lists deep, each holding the one before: shallow as written, deep expanded."""
    lines = [f"a0: &a0 {'[' * depth}1{']' * depth}"]
    lines += [f"a{i}: &a{i} {'[' * depth}*a{i - 1}{']' * depth}" for i in range(1, links)]
    return "\n".join(lines) + "\n"


def with_char(char: str) -> str:
    """A small scenario with ``char`` on line 3, column 8."""
    return f"name: x\nstart: 2017-07-04\nend: 20{char}17-12-31\n"


def sweep_with(parameters: str) -> str:
    return SWEEP_HEAD + "parameters:\n" + parameters


def oversized() -> bytes:
    return b"# a comment line of a file far too large\n" * 730_000  # 29.9 MB (28.5 MiB)


def chain_files(n: int) -> dict[str, str]:
    """c0.yaml extends c1.yaml extends ... c{n}.yaml (the July scenario)."""
    files = {f"c{i}.yaml": f"extends: c{i + 1}.yaml\nname: step {i}\n" for i in range(n)}
    return {**files, f"c{n}.yaml": JULY_TEXT}


@dataclass(frozen=True)
class Case:
    """A hostile input: the files to write into the working folder first, the command, and what its line says."""

    id: str
    args: tuple[str, ...]
    message: str
    files: dict = field(default_factory=dict)  # name -> str, bytes, or a function making bytes


def validate(name: str, content, message: str) -> Case:
    return Case(name, ("validate", name), message, {name: content})


def set_value(case_id: str, value: str, message: str, key: str = "sdf.x") -> Case:
    return Case(f"--set {case_id}", ("validate", JULY, "--set", f"{key}={value}"), message)


def sweep(name: str, content, message: str, extra: dict | None = None) -> Case:
    return Case(f"sweep {name}", ("sweep", name, "--out", "out"), message, {name: content, **(extra or {})})


def parameters(name: str, content, message: str) -> Case:
    return Case(f"calibrate --parameters {name}", ("calibrate", JULY, "--parameters", name, "--out", "out"),
                message, {name: content})


BOMB = f"through its aliases, this value expands to more than {MAX_VALUES} keys, items and scalars"
DEEP = f"nested more than {MAX_DEPTH} levels deep"
NOT_TEXT = "not a text file (expected UTF-8 YAML)"
BINARY = bytes(range(256)) * 8
CASES = [
    # alias bombs, and aliases that never end
    validate("bomb.yaml", laughs(), f"bomb.yaml:5: {BOMB}"),
    validate("wide_bomb.yaml", laughs(levels=3, width=200), f"wide_bomb.yaml:2: {BOMB}"),
    validate("merge_bomb.yaml", merge_laughs(), f"merge_bomb.yaml:4: {BOMB}"),
    validate("recursive.yaml", "name: x\na: &a [1, *a]\n",
             "recursive.yaml:2: the anchor &a holds an alias of itself (*a): a value cannot contain itself"),
    validate("recursive_map.yaml", "a: &a {b: {c: *a}}\n", "recursive_map.yaml:1: the anchor &a holds an alias"),
    validate("recursive_merge.yaml", "a: &a {<<: *a}\n", "recursive_merge.yaml:1: the anchor &a holds an alias"),
    validate("deep_aliases.yaml", deep_aliases(), f"deep_aliases.yaml:2: through its aliases, {DEEP}"),
    validate("many_aliases.yaml", "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n",
             f"many_aliases.yaml:2: more than {MAX_ALIASES} aliases (*name)"),
    # deep and dense
    validate("brackets.yaml", "[" * 50_000 + "]" * 50_000, f"brackets.yaml:1: {DEEP}"),
    validate("braces.yaml", "{" * 50_000, f"braces.yaml:1: {DEEP}"),
    validate("dashes.yaml", "- " * 50_000 + "x\n", f"dashes.yaml:1: {DEEP}"),
    validate("indented.yaml", "".join(" " * i + f"k{i}:\n" for i in range(300)),
             f"indented.yaml:{MAX_DEPTH + 1}: {DEEP}"),
    validate("values.yaml", "name: x\nx: [" + "1," * 20_000 + "]\n",
             f"values.yaml:2: more than {MAX_VALUES} keys, items and scalars in all"),
    # characters YAML does not allow, named by line and column
    validate("nul.yaml", with_char("\0"),
             "nul.yaml:3: not valid YAML: control character U+0000 at column 8 is not allowed"),
    validate("esc.yaml", with_char("\x1b"), "esc.yaml:3: not valid YAML: control character U+001B at column 8"),
    validate("del.yaml", with_char("\x7f"), "del.yaml:3: not valid YAML: control character U+007F at column 8"),
    validate("c1.yaml", with_char("\x9b"), "c1.yaml:3: not valid YAML: control character U+009B at column 8"),
    validate("fffe.yaml", with_char("\ufffe"), "fffe.yaml:3: not valid YAML: non-character U+FFFE at column 8"),
    validate("nul_comment.yaml", JULY_TEXT.replace("\n", "\n# a comment \0 with a NUL\n", 1),
             "nul_comment.yaml:2: not valid YAML: control character U+0000 at column 13"),
    validate("escape.yaml", JULY_TEXT.replace("\nname: ", '\nname: "\\e[2J" # ', 1),
             "escape.yaml:10: control character U+001B, written as an escape in the text at column 7, is not allowed"),
    validate("binary_tag.yaml", JULY_TEXT.replace("\nname: ", "\nname: !!binary AAAA # ", 1),
             "binary_tag.yaml:10: name: tag '!!binary' is not allowed"),
    # files that are no YAML text at all, or too much of it
    validate("big.yaml", oversized,
             f"big.yaml: too large: 28.5 MB (a YAML file may be at most {MAX_BYTES // 1024} KB)"),
    validate("long_scalar.yaml", "name: " + "x" * 300_000 + "\n", "long_scalar.yaml: too large: 293 KB"),
    validate("binary.yaml", BINARY, f"binary.yaml: {NOT_TEXT}"),
    validate("latin1.yaml", JULY_TEXT.replace("name:", "name: caf\xe9 #", 1).encode("latin-1"),
             f"latin1.yaml: {NOT_TEXT}"),
    validate("utf16.yaml", JULY_TEXT.encode("utf-16"), f"utf16.yaml: {NOT_TEXT}"),
    # values Python cannot make, keys too long to repeat, extends chains
    validate("digits.yaml", JULY_TEXT.replace("manpower: 50000", "manpower: " + "1" * 5_000, 1),
             "sdf.manpower: must not exceed the theatre's whole population"),
    validate("base60.yaml", JULY_TEXT.replace("manpower: 50000", "manpower: " + "1:" * 40_000 + "1", 1),
             "sdf.manpower: expected a number, got '1:1:1:1:"),
    validate("int_tag.yaml", JULY_TEXT.replace("manpower: 50000", "manpower: !!int lots", 1),
             "sdf.manpower: expected a number, got 'lots'"),
    validate("long_key.yaml", JULY_TEXT + "? " + "k" * 100_000 + "\n: 1\n",
             f"is too long: 100000 characters (at most {MAX_KEY_CHARS})"),
    Case("extends a bomb", ("validate", "variant.yaml"), f"bomb.yaml:5: {BOMB}",
         {"variant.yaml": "extends: bomb.yaml\nname: v\n", "bomb.yaml": laughs()}),
    Case("extends a binary file", ("validate", "variant.yaml"), f"binary.yaml: {NOT_TEXT}",
         {"variant.yaml": "extends: binary.yaml\n", "binary.yaml": BINARY}),
    Case("extends chain too long", ("validate", "c0.yaml"), f"extends: more than {MAX_EXTENDS} extends in a chain",
         chain_files(MAX_EXTENDS + 5)),
    Case("extends chain too large", ("validate", "variant.yaml"), "base.yaml: with the files that extend it, more than",
         {"variant.yaml": "extends: base.yaml\nx: [" + "1," * 6_000 + "]\n",
          "base.yaml": "y: [" + "1," * 6_000 + "]\n"}),
    # --set values: the same reader
    set_value("alias bomb", laughs(levels=8, flow=True), f"--set sdf.x: {BOMB}"),
    set_value("merge bomb", merge_laughs(flow=True), f"--set sdf.x: {BOMB}"),
    set_value("recursive alias", "&a [*a]", "--set sdf.x: the anchor &a holds an alias of itself"),
    set_value("brackets", "[" * 50_000, f"--set sdf.x: {DEEP}"),
    set_value("braces", "{" * 50_000, f"--set sdf.x: {DEEP}"),
    set_value("ESC", "a\x1b[31mb",
              "--set sdf.x: not valid YAML: control character U+001B at column 2 is not allowed"),
    set_value("DEL", "ab\x7f", "--set sdf.x: not valid YAML: control character U+007F at column 3"),
    set_value("U+FFFE", "\ufffe", "--set sdf.x: not valid YAML: non-character U+FFFE at column 1"),
    set_value("ESC on line 2", "a\nb\x1b", "--set sdf.x: not valid YAML: control character U+001B at line 2, column 2"),
    set_value("escape in quotes", '"\\e[2J"', "--set sdf.x: control character U+001B, written as an escape"),
    set_value("a byte not UTF-8", "a\udcffb", "--set sdf.x: not valid YAML: byte 0xFF (not UTF-8) at column 2"),
    set_value("values", "[" + "1," * 20_000 + "]", f"--set sdf.x: more than {MAX_VALUES} keys, items and scalars"),
    set_value("400 digits", "9" * 400, "--set sdf.manpower: expected a number, got 1e+400", key="sdf.manpower"),
    # sweep files
    sweep("bomb.yaml", laughs(), f"bomb.yaml:5: {BOMB}"),
    sweep("bomb_in_parameters.yaml", sweep_with("  sdf.manpower: " + laughs(levels=7, flow=True) + "\n"),
          f"bomb_in_parameters.yaml:5: {BOMB}"),
    sweep("recursive.yaml", sweep_with("  sdf.manpower: &a [*a]\n"), "recursive.yaml:5: the anchor &a holds an alias"),
    sweep("brackets.yaml", sweep_with("  sdf.manpower: " + "[" * 50_000 + "\n"), f"brackets.yaml:5: {DEEP}"),
    sweep("braces.yaml", "{" * 50_000, f"braces.yaml:1: {DEEP}"),
    sweep("nul.yaml", sweep_with("  sdf.manpower: [1\0]\n"),
          "nul.yaml:5: not valid YAML: control character U+0000 at column 19 is not allowed"),
    sweep("esc.yaml", SWEEP_HEAD.replace("seed", "se\x1bed"),
          "esc.yaml:3: not valid YAML: control character U+001B at column 3"),
    sweep("binary.yaml", BINARY, f"binary.yaml: {NOT_TEXT}"),
    sweep("big.yaml", oversized, "big.yaml: too large: 28.5 MB"),
    sweep("scenario_bomb.yaml", SWEEP_HEAD.replace("2017-07-04_raqqa", "bomb.yaml"), f"bomb.yaml:5: {BOMB}",
          {"bomb.yaml": laughs()}),
    # calibrate --parameters: a file the user names, read by the same reader
    parameters("bomb.yaml", laughs(), f"bomb.yaml:5: {BOMB}"),
    parameters("binary.yaml", BINARY, f"binary.yaml: {NOT_TEXT}"),
]


def write_files(folder: Path, files: dict) -> None:
    for name, content in files.items():
        content = content() if callable(content) else content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        (folder / name).write_bytes(content)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_yaml_is_refused_in_one_line_at_once(tmp_path, case):
    write_files(tmp_path, case.files)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, lines, seconds = run_py(*case.args, cwd=tmp_path)
    assert code == 2, lines[-5:]
    assert not any("Traceback" in line for line in lines), lines[-5:]
    assert 1 <= len(lines) <= 3 and all(line.startswith("run.py: error: ") for line in lines), lines
    assert case.message in lines[0], lines
    assert all(len(line) < 300 for line in lines), [line[:300] for line in lines]
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing is written"
    assert seconds < AT_ONCE_S  # see benchmarks/bench_hostile.py for each case's time


def test_a_byte_order_mark_and_windows_line_ends_are_still_read(tmp_path):
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + JULY_TEXT.replace("\n", "\r\n").encode())
    code, lines, _ = run_py("validate", "bom.yaml", cwd=tmp_path)
    assert code == 0, lines


# ---- load_yaml at its limits (in-process, fast) ---------------------------------------------


def nested(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


def refused(text: str, key: str | None = None) -> str:
    start = time.monotonic()
    with pytest.raises(ScenarioError) as caught:
        load_yaml(text, "--set" if key else "f.yaml", key=key)
    assert time.monotonic() - start < 2
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_depth_up_to_the_limit_is_read_and_past_it_refused():
    assert load_yaml(nested(MAX_DEPTH), "f.yaml") is not None
    assert refused(nested(MAX_DEPTH + 1)) == f"f.yaml:1: {DEEP}"
    assert load_yaml("{a: " * (MAX_DEPTH - 1) + "{}" + "}" * (MAX_DEPTH - 1), "f.yaml") is not None
    assert refused("- " * (MAX_DEPTH + 1) + "x") == f"f.yaml:1: {DEEP}"


def test_depth_counts_what_aliases_stand_for():
    half = MAX_DEPTH // 2  # b holds half lists, then a's: 1 (the top mapping) + half + a's lists in all
    b = "[" * half + "*a" + "]" * half
    assert load_yaml(f"a: &a {nested(MAX_DEPTH - 1 - half)}\nb: {b}", "f.yaml")
    assert refused(f"a: &a {nested(MAX_DEPTH - half)}\nb: {b}") == f"f.yaml:2: through its aliases, {DEEP}"


def test_values_and_aliases_up_to_the_limits_are_read_and_past_them_refused():
    assert len(load_yaml("[" + "1," * (MAX_VALUES - 1) + "]", "f.yaml")) == MAX_VALUES - 1
    assert refused("[" + "1," * MAX_VALUES + "]").endswith(f"more than {MAX_VALUES} keys, items and scalars in all")
    def aliases(n: int) -> str:
        return "- &a 1\n" + "- *a\n" * n

    assert len(load_yaml(aliases(MAX_ALIASES), "f.yaml")) == MAX_ALIASES + 1
    assert refused(aliases(MAX_ALIASES + 1)) == f"f.yaml:{MAX_ALIASES + 2}: more than {MAX_ALIASES} aliases (*name)"


def test_aliases_used_modestly_still_work():
    text = ("formation: &brigade {strength: 1200, posture: attack, at: [38.9, 36.1]}\n"
            "units:\n" + "".join(f"  - {{<<: *brigade, place: Town{i}}}\n" for i in range(50))
            + "again: [*brigade, *brigade]\n")
    data = load_yaml(text, "f.yaml")
    assert len(data["units"]) == 50 and data["units"][7] == {"strength": 1200, "posture": "attack",
                                                             "at": [38.9, 36.1], "place": "Town7"}
    assert data["again"][1]["strength"] == 1200
    assert load_yaml(laughs(levels=3, width=9), "f.yaml")["c"][8][8] == ["lol"] * 9  # 9**3 values: fine


def test_bombs_are_refused_by_their_size_before_anything_is_built():
    assert refused(laughs(levels=40, width=2)).startswith("f.yaml:")  # 2**40 values
    assert refused(laughs(flow=True), key="sdf.x") == f"--set sdf.x: {BOMB}"
    assert refused(merge_laughs(levels=30, width=2)).endswith(BOMB)
    assert refused("&a [*a]").endswith("the anchor &a holds an alias of itself (*a): a value cannot contain itself")


def test_characters_yaml_refuses_are_named_by_line_and_column():
    for char, what in [("\0", "control character U+0000"), ("\x07", "control character U+0007"),
                       ("\x85", "control character U+0085"), ("\ud800", "surrogate U+D800"),
                       ("\uffff", "non-character U+FFFF")]:
        assert refused(f"a: 1\nb: x{char}\n") == f"f.yaml:2: not valid YAML: {what} at column 5 is not allowed"
    assert refused("x\0", key="sdf.x") == \
        "--set sdf.x: not valid YAML: control character U+0000 at column 2 is not allowed"
    assert load_yaml("a: 'tab\there'\r\nb: \u00e9\u2603\U0001f600\n", "f.yaml") == {"a": "tab\there", "b": "é☃😀"}
    assert refused('a: 1\nb: "x\\0"') == "f.yaml:2: control character U+0000, written as an escape in the text at " \
                                         "column 4, is not allowed"
    assert load_yaml('a: "tab\\tand\\nline"', "f.yaml") == {"a": "tab\tand\nline"}
    for tag in ("!!binary AAAA", "!!set {x}", "!!omap [x: 1]", "!!pairs [x: 1]"):  # bytes can hide a NUL
        assert "is not allowed: a scenario holds plain mappings" in refused(f"a: {tag}")


def test_text_past_the_size_limit_is_refused():
    assert load_yaml("# " + "x" * (MAX_BYTES - 10), "f.yaml") is None
    assert refused("x" * (MAX_BYTES + 1), key="name") == f"--set name: too long: {MAX_BYTES + 1} characters " \
                                                         f"(at most {MAX_BYTES})"


def test_numbers_python_cannot_make_are_left_as_text_for_the_schema():
    assert load_yaml("a: " + "1" * 5_000, "f.yaml") == {"a": "1" * 5_000}
    assert load_yaml("a: 1:30", "f.yaml") == {"a": 90}
    base60 = "1:" * 3_000 + "1.5"
    assert load_yaml(f"a: {base60}", "f.yaml") == {"a": base60}
    for tagged in ("!!int lots", "!!float ''", "!!bool maybe", "!!timestamp soon", "!!int 0x"):
        assert isinstance(load_yaml(f"a: {tagged}", "f.yaml")["a"], str)


def test_an_extends_chain_is_held_to_the_limits_of_one_file(tmp_path):
    for name, text in chain_files(MAX_EXTENDS).items():
        (tmp_path / name).write_text(text)
    assert read_scenario_data(tmp_path / "c0.yaml")["name"] == "step 0"
    (tmp_path / "c0.yaml").write_text("extends: c1.yaml\nname: step 0\nx: [" + "1," * (MAX_VALUES // 2) + "]\n")
    (tmp_path / "c1.yaml").write_text("extends: c2.yaml\nname: step 1\ny: [" + "1," * (MAX_VALUES // 2) + "]\n")
    with pytest.raises(ScenarioError, match=f"c1.yaml: with the files that extend it, more than 256 KB or "
                                            f"{MAX_VALUES}"):
        read_scenario_data(tmp_path / "c0.yaml")


def test_a_key_past_the_length_limit_is_refused():
    assert load_yaml(f"? {'k' * MAX_KEY_CHARS}\n: 1", "f.yaml")
    line = refused(f"? {'k' * (MAX_KEY_CHARS + 1)}\n: 1")
    assert line.endswith(f"is too long: {MAX_KEY_CHARS + 1} characters (at most {MAX_KEY_CHARS})") and len(line) < 200
