"""The LA's Word report and the plan pack: real data, read back as a reader's software reads them."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import date

import pytest
from docx import Document

from profiles.exports import DOC_SCALE, DOC_WIDTH, PAGE_TEXT_PT, document_png, png_size
from profiles.page_exports import Choices, plan_pack_for, report_for, report_sections

ROTHERHAM = "E08000018"
CUSTOM = Choices(target_all=70.0, peer_set="custom", peers=("E08000025", "E06000017"))  # Birmingham, Rutland


@pytest.fixture(scope="module")
def custom_report() -> Document:
    return Document(io.BytesIO(report_for(ROTHERHAM, CUSTOM)))


def document_text(doc: Document) -> str:
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_report_follows_a_confirmed_target_and_a_custom_peer_set(custom_report):
    text = document_text(custom_report)
    # Rotherham's published target for all children is 73.3%: with 70.0 confirmed, it is nowhere.
    assert "70.0%" in text and "73.3" not in text
    assert "56.6%" in text  # the FSM target, not typed over, stays the published one
    assert "Peers: A custom set of 2 LAs chosen by you." in text
    assert "Rotherham beside a custom set, 2024/25" in text


def test_every_chart_is_a_picture_described_by_its_sentence(custom_report):
    items = [item for _, section in report_sections(ROTHERHAM, CUSTOM) for item in section]
    descriptions = [shape._inline.docPr.get("descr") for shape in custom_report.inline_shapes]
    assert descriptions == [item.alt_text for item in items]
    assert len(descriptions) == 10  # profile 2, focus 4, peers 2 (latest and trend), wards 2 (map, where children are)
    headings = [p.text for p in custom_report.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Summary", "Headline figures", "LA profile"]
    assert {"Focus: what to work on, and for whom", "Peers", "Wards", "Sources and caveats"} <= set(headings)
    headline = custom_report.tables[0]
    assert [cell.text for cell in headline.rows[0].cells][:3] == ["Children", "GLD 2024/25", "2028 target"]
    assert headline.rows[1].cells[1].text.startswith("64.9%")  # LAIT: Rotherham 2024/25, all children


def test_document_pngs_read_at_16_cm():
    """Pasted 16 cm wide, the charts' smallest text (13 px) prints at 9 pt or more."""
    for _, section in report_sections(ROTHERHAM, Choices()):
        for item in section:
            width, _ = png_size(document_png(item))
            laid_out = width / DOC_SCALE
            assert laid_out <= DOC_WIDTH + 10, item.name
            assert 13 * PAGE_TEXT_PT / laid_out >= 9, item.name


def test_the_plan_pack_leads_with_the_report_and_names_each_file():
    archive = zipfile.ZipFile(io.BytesIO(plan_pack_for(ROTHERHAM, CUSTOM)))
    day = f"{date.today():%Y-%m-%d}"
    names = set(archive.namelist())
    assert f"Rotherham_GLD_report_{day}.docx" in names
    charts = {
        "profile_trajectory",
        "profile_fsm_gap",
        "focus_areas_of_learning",
        "focus_areas_since_2022",
        "focus_pupil_groups",
        "focus_two_year_olds",
        "peers_latest",
        "peers_trend_all",
        "wards_map",
        "wards_where_the_children_are",
    }
    assert names - {f"Rotherham_GLD_report_{day}.docx"} == {
        f"Rotherham_{chart}_{day}{kind}" for chart in charts for kind in ("_document.png", "_slide.png", ".csv")
    }
    trajectory = archive.read(f"Rotherham_profile_trajectory_{day}.csv").decode("utf-8-sig")
    assert "70.0" in trajectory and "73.3" not in trajectory  # the confirmed target, in the data too


@pytest.mark.slow
def test_the_report_opens_in_libreoffice(tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (Debian: libreoffice-writer-nogui) is needed; .ci/run installs it"
    source = tmp_path / "Rotherham.docx"
    source.write_bytes(report_for(ROTHERHAM))
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "Rotherham.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 12 <= pages <= 24, pages  # 18 pages when last looked at: about a chart a page
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "Rotherham: good level of development" in text and "73.3%" in text  # the published target
    assert "Sources and caveats" in text


def test_the_report_and_pack_follow_the_ward_map_chosen():
    from profiles.wards import WardFilters

    chosen = Choices(ward_measure="pct_low_income_2025", ward_filters=WardFilters(decile_range=(1, 2)))
    sections = dict(report_sections(ROTHERHAM, chosen))
    ward_map = sections["Wards"][0]
    assert "% of children in relative low income" in str(ward_map.spec["title"])
    # Rotherham's wards in IDACI deciles 1-2 only: the others are left white on the map
    fills = {  # each layer (fills, outlines) carries the features: one fill per ward
        feature["properties"]["ward_code"]: feature["properties"]["fill"]
        for layer in ward_map.spec["hconcat"][0]["layer"]
        for feature in layer.get("data", {}).get("values", [])
    }
    from profiles.wards import ward_table

    wards = ward_table(ROTHERHAM)
    outside = int((wards["idaci_decile"] > 2).sum())
    assert outside > 0 and list(fills.values()).count("#ffffff") == outside
    text = document_text(Document(io.BytesIO(report_for(ROTHERHAM, chosen))))
    assert "Ward map: % of children in relative low income" in text and "1 to 2" in text
