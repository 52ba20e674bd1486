"""The downtime pack read back from its PDF: a blank form with every tab, field, option and
prompt of the current protocol, the triage block, and the chosen state's top services per
category with their hours, never a confidential address."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from console.cli import main
from console.printing.base import PrintError
from console.printing.downtime import CHECKBOX, downtime_pack, top_services
from console.protocol import Protocol, load_protocol
from tests.unit.builder import WEEKDAYS, DirectoryBuilder

TUESDAY = date(2026, 11, 24)
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"
SECRET_TOWN, SECRET_ZIP, STREET = "Secretburg", "77019", "100 Main St"
LEGAL_CLINICS = 6  # one more than the pack lists per category


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    b = DirectoryBuilder()
    for number in range(1, LEGAL_CLINICS + 1):
        b.service(f"Legal Clinic {number}", organization=f"Texas Legal Aid {number}",
                  categories=("legal",), city="Austin", zip_code="78701")
    b.service("Hidden Shelter", organization="Safe Harbor", categories=("emergency-shelter",),
              city=SECRET_TOWN, zip_code=SECRET_ZIP, confidential=True,
              hours=((EVERY_DAY, "00:00", "23:59"),), flags=("open-24h",))
    b.service("Open Door Counseling", organization="Houston Wellness",
              categories=("mental-health",), hours=((WEEKDAYS, "13:00", "21:00"),))
    b.service("Sooner Legal Help", organization="Oklahoma Legal", categories=("legal",),
              city="Tulsa", state="OK", zip_code="74103")
    engine, _ = b.build(tmp_path_factory.mktemp("downtime") / "directory.sqlite")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pack(protocol: Protocol, directory: Engine, state: str = "TX") -> PdfReader:
    out = io.BytesIO()
    downtime_pack(protocol, directory, state, out, today=TUESDAY)
    return PdfReader(io.BytesIO(out.getvalue()))


@pytest.fixture(scope="module")
def texas(protocol: Protocol, directory: Engine) -> tuple[PdfReader, str]:
    reader = pack(protocol, directory)
    return reader, flat(" ".join(page.extract_text() for page in reader.pages))


def test_the_form_follows_the_protocol(protocol: Protocol,
                                       texas: tuple[PdfReader, str]) -> None:
    _, text = texas
    for tab in protocol.tabs:
        assert f"{tab.key}. {tab.title}" in text
        for prompt in tab.prompts:
            assert f"“{flat(prompt)}”" in text
        for spec in tab.fields:
            assert spec.label in text, spec.id
            if spec.prompt:
                assert f"“{flat(spec.prompt)}”" in text, spec.id
            for option in spec.options:
                assert f"{CHECKBOX} {option.label}" in text, (spec.id, option.value)
    assert "Caller type *" in text and "Summary *" in text  # required fields are marked
    assert f"{CHECKBOX} Yes {CHECKBOX} No {CHECKBOX} Don't know" in text
    assert "Labor trafficking indicators (tick all that apply)" in text
    assert "Ask only if Type of trafficking is Labor or Both or unclear." in text
    assert "Required if Safe to talk is No." in text
    assert "Required if the contact is: Crisis call or Tip." in text


def test_the_triage_block_and_the_hotline(protocol: Protocol,
                                          texas: tuple[PdfReader, str]) -> None:
    _, text = texas
    triage = text[text.index("Triage: what kind of contact is this?"):text.index("1. Safety")]
    for kind in protocol.request_types:
        assert f"{CHECKBOX} {kind.label} {kind.key}" in flat(triage), kind.id
    # The chart takes tips live at any hour: the paper form says so too.
    tip_row = flat(triage).split(f"{CHECKBOX} Tip 2 ")[1].split(CHECKBOX)[0]
    assert "taken live 24/7, never as a message" in tip_row
    assert "National Human Trafficking Hotline: 1-888-373-7888" in text
    assert "Urgent help: 24 hours a day, 7 days a week." in text
    assert "Non-urgent requests: answered Mon–Fri, 9 AM – 7 PM (ET), within 3 business days." \
        in text
    assert "Texas. Printed November 24, 2026." in text


def test_prompts_are_printed_in_italics(texas: tuple[PdfReader, str]) -> None:
    reader, _ = texas
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert any(name.endswith("DejaVuSans-Oblique") for name in fonts), fonts


def test_the_states_top_services_per_category(texas: tuple[PdfReader, str]) -> None:
    _, text = texas
    directory = text[text.index("Referrals in Texas"):]
    legal = directory[directory.index("Legal services"):]
    assert len(re.findall(r"Legal Clinic \d Texas Legal Aid \d", legal)) == 5
    assert "Sooner Legal Help" not in text and "Tulsa" not in text
    assert "Open Door Counseling Houston Wellness (713) 555-0100 Houston" in directory
    assert "Mon–Fri: 1 PM – 9 PM Sat–Sun: Closed" in directory
    assert "Medical care No services in Texas in this category." in directory


def test_a_confidential_address_is_never_printed(texas: tuple[PdfReader, str]) -> None:
    _, text = texas
    assert "Hidden Shelter Safe Harbor (713) 555-0100 Call for location" in text
    assert "Every day: Open 24 hours" in text
    for secret in (SECRET_TOWN, SECRET_ZIP, STREET):
        assert secret not in text


def test_every_page_is_confidential(texas: tuple[PdfReader, str]) -> None:
    reader, _ = texas
    for page in reader.pages:
        page_text = flat(page.extract_text())
        assert "CONFIDENTIAL" in page_text
        assert "Downtime pack · Texas · November 24, 2026" in page_text


def test_top_services_reads_the_search_order(directory: Engine) -> None:
    groups = {group.category: group for group in top_services(directory, "tx", 2, TUESDAY)}
    assert [service.service_name for service in groups["Legal services"].services] == \
        [result.service_name for result in groups["Legal services"].results]
    assert len(groups["Legal services"].services) == 2
    assert groups["Medical care"].services == ()


@pytest.mark.parametrize("state", ["ZZ", "Texas", "", "T"])
def test_an_unknown_state_is_a_clear_error(protocol: Protocol, directory: Engine,
                                           state: str) -> None:
    with pytest.raises(PrintError, match=r"unknown state .*two-letter code"):
        pack(protocol, directory, state)


def test_a_state_in_lower_case_is_fine(protocol: Protocol, directory: Engine) -> None:
    reader = pack(protocol, directory, " tx ")
    assert "Referrals in Texas" in " ".join(page.extract_text() for page in reader.pages)


def test_cli_writes_the_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "packs" / "texas.pdf"
    assert main(["downtime-pack", "--state", "TX", "--out", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote the downtime pack for Texas to {target}"
    text = " ".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Referrals in Texas" in text and "1. Safety" in text
    assert [path.name for path in target.parent.iterdir()] == ["texas.pdf"]


def test_cli_rejects_an_unknown_state_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "nowhere.pdf"
    assert main(["downtime-pack", "--state", "XX", "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown state 'XX'")
    assert not target.exists()
