"""The referral sheet read back from its PDF: the right services, no confidential address, no
personal data, nothing about trafficking in the discreet layout, Spanish all through."""

from __future__ import annotations

import io
import json
import re
import statistics
import string
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import Engine

from console import settings as console_settings
from console.cli import main
from console.directory.vocabulary import stable_uuid
from console.printing.base import PrintError
from console.printing.phrases import load_texts, texts, translations_path
from console.printing.sheet import (
    ReferralSheetOptions,
    SheetService,
    referral_sheet,
    sheet_for_case,
    sheet_services,
)
from tests.unit.builder import WEEKDAYS, DirectoryBuilder

MONDAY = date(2026, 11, 23)
CONFIDENTIAL_STREET = "100 Main St"  # every builder address; only the shelter's is confidential
CONFIDENTIAL_ZIP = "77019"
PHONE = "(713) 555-0100"  # every builder service's, as the importer formats it
DISCREET_WORDS = ("trafficking", "trata", "human", "hotline", "polaris")
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, str]]]:
    b = DirectoryBuilder()
    source_ids = {
        "legal": b.service("Immigration Legal Services", organization="Houston Legal Aid",
                           zip_code="77002", languages=("en", "es"), minimum_age=18,
                           eligibility_description="Adults from any country."),
        "shelter": b.service("Youth Shelter", organization="Safe Harbor Youth",
                             zip_code=CONFIDENTIAL_ZIP, confidential=True,
                             hours=((EVERY_DAY, "00:00", "23:59"),), flags=("open-24h",)),
        "coalition": b.service("Human Trafficking Legal Clinic",
                               organization="Texas Anti-Trafficking Coalition",
                               zip_code="78701", city="Austin",
                               eligibility_description="Survivors of human trafficking."),
        "counseling": b.service("Trauma Counseling", organization="Dallas Wellness",
                                zip_code="75201", city="Dallas", languages=("en", "vi"),
                                hours=((WEEKDAYS, "13:00", "21:00"),)),
        "night": b.service("Night Drop-in", organization="Harbor Street Outreach",
                           zip_code="77003", hours=(("FR,SA", "21:00", "06:00"),)),
        "crisis": b.service("Crisis Hotline for Women", organization="Gulf Coast Women",
                            zip_code="77004", hours=((EVERY_DAY, "00:00", "23:59"),)),
        "national": b.service("T-Visa Help Line", organization="Survivor Legal Network",
                              zip_code="20001", city="Washington", state="DC",
                              areas=("National",)),
    }
    engine, _ = b.build(tmp_path_factory.mktemp("sheet") / "directory.sqlite")
    yield engine, imported_ids(source_ids)
    engine.dispose()


def imported_ids(source_ids: dict[str, str]) -> dict[str, str]:
    """The directory's own ids of the builder's services: the importer turns an id that is not
    a UUID into a stable UUID of its table and value."""
    return {key: stable_uuid("service", source_id) for key, source_id in source_ids.items()}


def pdf(services: list[SheetService], **options: Any) -> PdfReader:
    out = io.BytesIO()
    referral_sheet(services, ReferralSheetOptions(**options), out, today=MONDAY)
    return PdfReader(io.BytesIO(out.getvalue()))


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def all_text(reader: PdfReader) -> str:
    return "\n".join(page_texts(reader))


def services_of(directory: tuple[Engine, dict[str, str]], *names: str,
                caller_zip: str | None = None) -> list[SheetService]:
    engine, ids = directory
    return sheet_services(engine, [ids[name] for name in names], caller_zip, today=MONDAY)


def test_services_print_in_the_order_given(directory: tuple[Engine, dict[str, str]]) -> None:
    services = services_of(directory, "counseling", "legal", "night")
    text = all_text(pdf(services))
    positions = [text.index(name) for name in
                 ("Trauma Counseling", "Immigration Legal Services", "Night Drop-in")]
    assert positions == sorted(positions)
    assert "Youth Shelter" not in text
    assert "1-888-373-7888" in text and "National Human Trafficking Hotline" in text
    assert "Other questions: Mon–Fri, 9 AM – 7 PM (ET)." in text
    assert "Printed November 23, 2026" in text


def test_each_service_shows_its_facts_in_plain_words(
        directory: tuple[Engine, dict[str, str]]) -> None:
    text = all_text(pdf(services_of(directory, "legal", "counseling", "night",
                                    caller_zip="77002")))
    assert PHONE in text
    assert "100 Main St, Houston, TX 77002" in text
    assert "Monday: 9 AM – 5 PM" in text and "Mon–Fri: 9 AM – 5 PM" in text
    assert "Sat–Sun: Closed" in text
    assert "English, Spanish" in text and "English, Vietnamese" in text
    assert "Ages 18 and over. Adults from any country." in text
    assert "less than 1 mile" in text and re.search(r"about 2\d\d miles", text)
    # An overnight schedule reads as one span on the day it starts.
    assert "Fri–Sat: 9 PM – 6 AM" in text and "midnight" not in text


def test_a_confidential_address_is_never_printed(
        directory: tuple[Engine, dict[str, str]]) -> None:
    services = services_of(directory, "shelter", caller_zip="77002")
    shelter = services[0]
    assert shelter.address is None and shelter.distance_miles is None
    reader = pdf(services)
    text = all_text(reader)
    assert "Call for location" in text
    assert "Open 24 hours" in text
    for secret in (CONFIDENTIAL_STREET, "Main St", CONFIDENTIAL_ZIP, "miles"):
        assert secret not in text
        assert secret not in json.dumps({k: str(v) for k, v in (reader.metadata or {}).items()})


def discreet_text(reader: PdfReader) -> str:
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    return (all_text(reader) + "\n" + metadata).casefold()


@pytest.mark.parametrize("language", ["en", "es"])
def test_discreet_sheet_never_mentions_trafficking_or_the_hotline(
        directory: tuple[Engine, dict[str, str]], language: str) -> None:
    services = services_of(directory, "coalition", "crisis", "legal")
    reader = pdf(services, language=language, discreet=True)
    found = discreet_text(reader)
    for word in DISCREET_WORDS:
        assert word not in found, word
    title = "Community resources" if language == "en" else "Recursos comunitarios"
    assert reader.metadata is not None and reader.metadata.title == title
    assert title.casefold() in found
    assert f"{texts(language)['sheet.helpline']}: 1-888-373-7888".casefold() in found
    # Names that would give the sheet away are replaced, the phone numbers stay.
    assert texts(language)["discreet.name"].casefold() in found
    assert "houston legal aid" in found and found.count(PHONE) == 3


def test_a_national_service_says_call_instead_of_a_distance(
        directory: tuple[Engine, dict[str, str]]) -> None:
    services = services_of(directory, "national", "legal", caller_zip="77002")
    assert services[0].national and services[0].distance_miles is None
    text = all_text(pdf(services))
    national = text[text.index("T-Visa Help Line"):text.index("Immigration Legal Services")]
    assert "National — call" in national and "miles" not in national
    assert "less than 1 mile" in text  # the local service keeps its distance


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_discreet_layout_also_hides_visa_names_and_survivor(
        directory: tuple[Engine, dict[str, str]], language: str) -> None:
    found = discreet_text(pdf(services_of(directory, "national"), language=language,
                              discreet=True))
    for word in ("visa", "survivor"):
        assert word not in found, word
    assert texts(language)["discreet.name"].casefold() in found


def test_a_discreet_sheet_may_leave_out_the_hotlines_number(
        directory: tuple[Engine, dict[str, str]]) -> None:
    services = services_of(directory, "legal")
    without = all_text(pdf(services, discreet=True, without_hotline=True))
    assert "1-888-373-7888" not in without and "Help line" not in without
    assert PHONE in without
    # Only the discreet layout may leave it out: a plain sheet always says where help is.
    assert "1-888-373-7888" in all_text(pdf(services, without_hotline=True))
    assert "1-888-373-7888" in all_text(pdf(services, discreet=True))


def test_the_normal_sheet_keeps_directory_names(
        directory: tuple[Engine, dict[str, str]]) -> None:
    text = all_text(pdf(services_of(directory, "coalition")))
    assert "Texas Anti-Trafficking Coalition" in text
    assert "Survivors of human trafficking." in text


def english_words(template: str) -> set[str]:
    """The words of a fixed English text, without its {placeholders}."""
    literal = " ".join(part for part, *_ in string.Formatter().parse(template))
    return {word for word in re.findall(r"[A-Za-z]{2,}", literal)}


def test_spanish_sheet_has_no_english_fixed_text(
        directory: tuple[Engine, dict[str, str]]) -> None:
    reader = pdf(services_of(directory, "legal", "shelter", "night", "counseling",
                             caller_zip="77002"), language="es")
    text = all_text(reader)
    for spanish in ("Hoja de referencias", "Teléfono", "Dirección", "Horario", "Idiomas",
                    "Llame para saber la ubicación", "Hoy", "Lunes: 9 a. m. – 5 p. m.",
                    "Lun–vie: 9 a. m. – 5 p. m.", "Sáb–dom: Cerrado",
                    "Todos los días: Abierto las 24 horas", "Vie–sáb: 9 p. m. – 6 a. m.",
                    "inglés, español", "Desde los 18 años.", "a menos de 1 milla",
                    "Impreso el 23 de noviembre de 2026", "Página 1 de",
                    "Línea Nacional contra la Trata de Personas", "Otras consultas: lun–vie"):
        assert spanish in text, spanish
    english, spanish = texts("en"), texts("es")
    data_words = {"Houston", "Legal", "Aid", "Immigration", "Services", "Adults", "from", "any",
                  "country", "Youth", "Shelter", "Safe", "Harbor", "Night", "Drop", "in",
                  "Street", "Outreach", "Trauma", "Counseling", "Dallas", "Wellness", "Main",
                  "St", "TX", "ET", "Test", "Organization"}
    shared = data_words | {word for template in spanish.values()
                           for word in english_words(template)}  # e.g. "local"
    for key, template in english.items():
        if template == spanish[key] or key.startswith("discreet."):
            continue
        for word in english_words(template) - shared:
            assert not re.search(rf"\b{word}\b", text), f"{key}: {word!r} in the Spanish sheet"


def body_font_size(reader: PdfReader) -> float:
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            sizes.append(round(size * tm[0], 1))

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    return statistics.mode(sizes)


def test_large_print_is_bigger_and_still_complete(
        directory: tuple[Engine, dict[str, str]]) -> None:
    services = services_of(directory, "legal", "shelter", "coalition", "counseling", "night",
                           "crisis", caller_zip="77002")
    normal, large = pdf(services), pdf(services, large_print=True)
    assert body_font_size(normal) == 10
    assert body_font_size(large) >= 16
    assert len(large.pages) > len(normal.pages)
    for reader in (normal, large):
        pages = page_texts(reader)
        text = "\n".join(pages)
        for number, service in enumerate(services, start=1):
            assert f"{number}. {service.organization_name}" in text
        # Blocks are kept together: every later page starts with a block's heading, never
        # with the rest of a block cut at the bottom of the page before.
        for page in pages[1:]:
            assert re.match(r"\d+\. ", page), page[:80]


def test_fonts_are_embedded(directory: tuple[Engine, dict[str, str]]) -> None:
    reader = pdf(services_of(directory, "legal", "shelter"), language="es", large_print=True)
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        assert fonts
        for font in fonts.values():
            font = font.get_object()
            assert "DejaVuSans" in font["/BaseFont"]
            assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_sheet_for_case_reads_only_the_referrals(
        directory: tuple[Engine, dict[str, str]]) -> None:
    engine, ids = directory

    class GuardedCase(dict[str, Any]):
        def __getitem__(self, key: str) -> Any:
            assert key == "referrals", f"the sheet read the case's {key!r}"
            return super().__getitem__(key)

        def get(self, key: str, default: Any = None) -> Any:
            assert key == "referrals", f"the sheet read the case's {key!r}"
            return super().get(key, default)

    case = GuardedCase(
        id="case-1", number="K7QD2X-0042",
        answers={"caller_name": "Maria Lopez", "caller_phone": "555-867-5309",
                 "code_word": "bluebird", "what_is_happening": "Working at Lucky Nails"},
        referrals=[{"id": "r1", "service_id": ids["counseling"], "service_name": "Trauma"},
                   {"id": "r2", "service_id": ids["legal"], "service_name": "Legal"},
                   {"id": "r3", "service_id": ids["counseling"], "service_name": "Trauma"}])
    out = io.BytesIO()
    sheet_for_case(case, engine, ReferralSheetOptions(), out, today=MONDAY)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    found = discreet_text(reader)
    assert found.index("trauma counseling") < found.index("immigration legal services")
    assert found.count("dallas wellness") == 1  # a service referred twice prints once
    for personal in ("maria", "lopez", "867-5309", "bluebird", "lucky nails", "k7qd2x"):
        assert personal not in found


def test_a_case_without_referrals_is_a_clear_error(
        directory: tuple[Engine, dict[str, str]]) -> None:
    with pytest.raises(PrintError, match="no services"):
        sheet_for_case({"referrals": []}, directory[0], ReferralSheetOptions(), io.BytesIO())


def test_unknown_service_ids_are_named(directory: tuple[Engine, dict[str, str]]) -> None:
    engine, ids = directory
    with pytest.raises(PrintError, match="svc-404, svc-405"):
        sheet_services(engine, [ids["legal"], "svc-404", "svc-405"])
    with pytest.raises(PrintError, match="ZIP"):
        sheet_services(engine, [ids["legal"]], caller_zip="00000")
    with pytest.raises(PrintError, match="language"):
        pdf(services_of(directory, "legal"), language="fr")


def test_ten_services_print_within_150_ms(directory: tuple[Engine, dict[str, str]]) -> None:
    engine, ids = directory
    wanted = list(ids.values())
    services = sheet_services(engine, wanted, today=MONDAY)
    services = (services * 2)[:10]
    referral_sheet(services, ReferralSheetOptions(), io.BytesIO())  # fonts, styles, chart
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        found = sheet_services(engine, wanted, caller_zip="77002", today=MONDAY)
        referral_sheet((found * 2)[:10], ReferralSheetOptions(), io.BytesIO(), today=MONDAY)
        timings.append(time.perf_counter() - started)
    assert min(timings) <= 0.150, f"a 10-service sheet took {min(timings) * 1000:.0f} ms"


def write_translations(path: Path, english: dict[str, str], spanish: dict[str, str]) -> Path:
    path.write_text(json.dumps({"en": english, "es": spanish}), "utf-8")
    return path


def test_translations_must_have_every_key_in_every_language(tmp_path: Path) -> None:
    shipped = load_texts(translations_path())
    assert shipped["en"].keys() == shipped["es"].keys()
    spanish = dict(shipped["es"])
    del spanish["sheet.phone"]
    with pytest.raises(PrintError, match=r"'sheet\.phone' is missing in 'es'"):
        load_texts(write_translations(tmp_path / "print.json", shipped["en"], spanish))
    spanish = dict(shipped["es"], **{"page.number": "Página {page}"})
    with pytest.raises(PrintError, match="placeholders"):
        load_texts(write_translations(tmp_path / "print.json", shipped["en"], spanish))
    with pytest.raises(PrintError, match="non-empty"):
        load_texts(write_translations(tmp_path / "print.json", shipped["en"],
                                      dict(shipped["es"], **{"sheet.hours": " "})))


def named(name: str, organization: str, eligibility: str) -> SheetService:
    week = (((540, 1020),),) * 5 + ((),) * 2
    return SheetService(service_id="svc-1", service_name=name, organization_name=organization,
                        phone="555-0100", address=f"{name}, Springfield", confidential=False,
                        week=week, languages=("English", name), eligibility=eligibility)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=120), organization=st.text(max_size=300),
       eligibility=st.text(max_size=400))
@example(name="庇护所 <b>&amp;", organization="مركز المساعدة القانونية",
         eligibility="Ñandú 🚀👩‍👩‍👧")
@example(name="\x00\x1b\u200f\ufeff", organization="x" * 300, eligibility="Z̷̢a̸l̵g̶o" * 40)
def test_any_unicode_name_prints(name: str, organization: str, eligibility: str) -> None:
    out = io.BytesIO()
    referral_sheet([named(name, organization, eligibility)],
                   ReferralSheetOptions(discreet=True, large_print=True), out, today=MONDAY)
    assert out.getvalue().startswith(b"%PDF") and len(PdfReader(out).pages) >= 1


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def local_directory(hotline_home: Path) -> dict[str, str]:
    b = DirectoryBuilder()
    ids = {"legal": b.service("Immigration Legal Services", organization="Houston Legal Aid"),
           "shelter": b.service("Youth Shelter", zip_code=CONFIDENTIAL_ZIP, confidential=True)}
    engine, _ = b.build(console_settings.directory_db_path())
    engine.dispose()
    return imported_ids(ids)


def test_cli_writes_the_sheet(hotline_home: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    ids = local_directory(hotline_home)
    out = tmp_path / "sheet.pdf"
    code, printed, _ = run_cli(capsys, "sheet", "--services", f"{ids['shelter']},{ids['legal']}",
                               "--zip", "77002", "--language", "es", "--discreet", "--large",
                               "--out", str(out))
    assert code == 0 and "2 services" in printed
    text = all_text(PdfReader(out))
    assert text.index("Llame para saber la ubicación") < text.index("Houston Legal Aid")
    assert CONFIDENTIAL_STREET in text  # the public service's address, printed once
    assert text.count(CONFIDENTIAL_STREET) == 1 and CONFIDENTIAL_ZIP not in text


def test_cli_names_an_unknown_service_and_leaves_no_file(
        hotline_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = local_directory(hotline_home)
    folder = tmp_path / "printed"
    folder.mkdir()
    code, _, err = run_cli(capsys, "sheet", "--services", f"{ids['legal']},svc-missing",
                           "--out", str(folder / "sheet.pdf"))
    assert code == 1
    assert "svc-missing" in err and ids["legal"] not in err
    assert list(folder.iterdir()) == []
