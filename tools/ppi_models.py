#!/usr/bin/env python3
"""Builds PMT model files from the PPI scorecard CSVs in core/data/pmt (see its SOURCE.md).

Run from the repository root: python3 tools/ppi_models.py
Writes core/models/ppi-indonesia-2022.json and core/models/ppi-indonesia-2012.json.
Deterministic: same CSVs, same files.
"""
import csv
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "core" / "data" / "pmt"

# Province option letters of the 2022 scorecard -> BPS/Kemendagri province codes.
PROVINCES = {
    "A": "11", "B": "12", "C": "13", "D": "14", "E": "15", "F": "16", "G": "17", "H": "18",
    "I": "19", "J": "21", "K": "31", "L": "32", "M": "33", "N": "34", "O": "35", "P": "36",
    "Q": "51", "R": "52", "S": "53", "T": "61", "U": "62", "V": "63", "W": "64", "X": "65",
    "Y": "71", "Z": "72", "AA": "73", "AB": "74", "AC": "75", "AD": "76", "AE": "81",
    "AF": "82", "AG": "91", "AH": "94",
}

QUESTIONS_2022 = {
    "1": ("provinsi", "Di provinsi mana rumah tangga tinggal?"),
    "2": ("jumlah_anggota", "Berapa jumlah anggota rumah tangga?"),
    "3": ("tabungan", "Apakah kepala rumah tangga memiliki rekening tabungan (sendiri atau bersama) di lembaga keuangan (bank, koperasi, dll.)?"),
    "4": ("lantai", "Apa bahan utama lantai terluas rumah?"),
    "5": ("daging", "Apakah rumah tangga makan daging dalam seminggu terakhir?"),
    "6": ("nasi_jadi", "Apakah rumah tangga membeli nasi goreng atau nasi putih jadi dalam seminggu terakhir?"),
    "7": ("perawatan_pakaian", "Apakah rumah tangga mengeluarkan uang untuk bahan perawatan pakaian (pelembut, pewangi, pemutih, deterjen) dalam sebulan terakhir?"),
    "8": ("bensin", "Apakah rumah tangga mengeluarkan uang untuk bensin kendaraan bermotor dalam sebulan terakhir?"),
    "9": ("kulkas", "Apakah rumah tangga memiliki kulkas?"),
    "10": ("mobil", "Apakah rumah tangga memiliki mobil?"),
}
SIZE_BANDS = {"A": ("1 orang", [1, 1]), "B": ("2 atau 3 orang", [2, 3]),
              "C": ("4 orang", [4, 4]), "E": ("5 orang atau lebih", [5, 99])}
FLOOR = {"A": "Marmer/granit atau keramik",
         "B": "Parket/vinil/karpet atau ubin/tegel/teraso",
         "C": "Kayu/papan, semen/bata merah, bambu, tanah, atau lainnya"}
YES_NO = {"A": "Ya", "B": "Tidak"}


def letter_and_text(response):
    letter, _, text = response.partition(". ")
    return letter.strip(), text.strip()


def build_2022():
    with open(DATA / "ppi-indonesia-2022-scorecard.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    lines = rows[0][3:]
    questions, points = [], {}
    for row in rows[1:]:
        number, _, response = row[:3]
        qid, label = QUESTIONS_2022[number]
        letter, text = letter_and_text(response)
        if not questions or questions[-1]["id"] != qid:
            question = {"id": qid, "label": label, "type": "choice", "options": []}
            if number == "1":
                question["derived"] = "province"
                question["help"] = "Diisi otomatis dari kode wilayah rumah tangga."
            if number == "2":
                question["derived"] = "household_size"
                question["help"] = "Diisi otomatis dari jumlah anggota yang terdaftar."
            questions.append(question)
        if number == "1":
            option = {"id": PROVINCES[letter], "label": text.title().replace("Dki", "DKI").replace("Di ", "DI ")}
        elif number == "2":
            label_id, band = SIZE_BANDS[letter]
            option = {"id": letter, "label": label_id, "band": band}
        elif number == "4":
            option = {"id": letter, "label": FLOOR[letter]}
        else:
            assert text == {"A": "Yes", "B": "No"}[letter], (number, response)
            option = {"id": letter, "label": YES_NO[letter]}
        questions[-1]["options"].append(option)
        points.setdefault(qid, {})[option["id"]] = [int(p) for p in row[3:]]
    with open(DATA / "ppi-indonesia-2022-lookup.csv", newline="", encoding="utf-8") as f:
        lookup_rows = list(csv.reader(f))
    assert lookup_rows[0][1:] == lines, "line order differs between the two CSVs"
    lookup = [
        {"score_min": int(r[0]), "score_max": int(r[0]), "likelihood": [float(x) for x in r[1:]]}
        for r in lookup_rows[1:]
    ]
    return {
        "id": "ppi-indonesia-2022",
        "version": 1,
        "title": "Poverty Probability Index (PPI) Indonesia 2022",
        "source": "PPI(R) Indonesia 2022, Innovations for Poverty Action (povertyindex.org), "
                  "dibuat Oktober 2023 dari Susenas 2022 (BPS); disalin dari katilingban/ppitables "
                  "(MIT, commit 108849a). Lihat core/data/pmt/SOURCE.md.",
        "illustrative": False,
        "region": {},
        "effective_from": "2023-10-01",
        "questions": questions,
        "kind": "scorecard",
        "parameters": {
            "lines": lines,
            "default_line": "National Poverty Line",
            "points": points,
            "lookup": lookup,
        },
    }


# 2012 scorecard (Susenas 2010): one points column shared by every poverty line.
QUESTIONS_2012 = {
    "1": ("jumlah_anggota", "Berapa jumlah anggota rumah tangga?", {
        "A": ("6 orang atau lebih", [6, 99]), "B": ("5 orang", [5, 5]), "C": ("4 orang", [4, 4]),
        "D": ("3 orang", [3, 3]), "E": ("2 orang", [2, 2]), "F": ("1 orang", [1, 1])}),
    "2": ("sekolah_6_18", "Apakah semua anggota rumah tangga berusia 6–18 tahun bersekolah?", {
        "A": "Tidak ada anggota berusia 6–18 tahun", "B": "Tidak", "C": "Ya"}),
    "3": ("pendidikan_ibu", "Apa pendidikan tertinggi yang ditamatkan kepala rumah tangga/pasangan perempuan?", {
        "A": "Tidak punya ijazah",
        "B": "SD (termasuk SDLB, MI, atau paket A)",
        "C": "SMP (termasuk SMPLB, MTs, atau paket B)",
        "D": "Tidak ada kepala rumah tangga/pasangan perempuan",
        "E": "SMK",
        "F": "SMA (termasuk SMALB, MA, atau paket C)",
        "G": "Diploma (D1 atau lebih) atau lebih tinggi"}),
    "4": ("pekerjaan_bapak", "Apa status pekerjaan utama kepala rumah tangga/pasangan laki-laki dalam seminggu terakhir?", {
        "A": "Tidak ada kepala rumah tangga/pasangan laki-laki",
        "B": "Tidak bekerja, atau pekerja keluarga/tidak dibayar",
        "C": "Berusaha sendiri",
        "D": "Berusaha dibantu buruh tidak tetap/tidak dibayar",
        "E": "Buruh/karyawan/pegawai",
        "F": "Berusaha dibantu buruh tetap/dibayar"}),
    "5": ("lantai", "Apa bahan utama lantai rumah?", {"A": "Tanah atau bambu", "B": "Lainnya"}),
    "6": ("jamban", "Apa jenis fasilitas buang air besar rumah tangga?", {
        "A": "Tidak ada, atau cubluk/cemplung",
        "B": "Bukan leher angsa, ke tangki septik",
        "C": "Leher angsa (siram)"}),
    "7": ("bahan_bakar_masak", "Apa bahan bakar utama untuk memasak?", {
        "A": "Kayu bakar, arang, atau batu bara",
        "B": "Gas/elpiji, minyak tanah, listrik, lainnya, atau tidak memasak"}),
    "8": ("gas_12kg", "Apakah rumah tangga memiliki tabung gas 12 kg atau lebih?", {"A": "Tidak", "B": "Ya"}),
    "9": ("kulkas", "Apakah rumah tangga memiliki kulkas atau freezer?", {"A": "Tidak", "B": "Ya"}),
    "10": ("sepeda_motor", "Apakah rumah tangga memiliki sepeda motor, skuter, atau perahu motor?", {"A": "Tidak", "B": "Ya"}),
}


def build_2012():
    with open(DATA / "ppi-indonesia-2012-lookup.csv", newline="", encoding="utf-8") as f:
        lookup_rows = list(csv.reader(f))
    lines = lookup_rows[0][2:]
    lookup = [
        {"score_min": int(r[0]), "score_max": int(r[1]),
         "likelihood": [round(float(x) / 100, 6) for x in r[2:]]}
        for r in lookup_rows[1:]
    ]
    with open(DATA / "ppi-indonesia-2012-scorecard.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    questions, points = [], {}
    for number, _, response, pts in rows:
        qid, label, options = QUESTIONS_2012[number]
        letter, _ = letter_and_text(response)
        if not questions or questions[-1]["id"] != qid:
            question = {"id": qid, "label": label, "type": "choice", "options": []}
            if number == "1":
                question["derived"] = "household_size"
                question["help"] = "Diisi otomatis dari jumlah anggota yang terdaftar."
            questions.append(question)
        if number == "1":
            text, band = options[letter]
            option = {"id": letter, "label": text, "band": band}
        else:
            option = {"id": letter, "label": options[letter]}
        questions[-1]["options"].append(option)
        points.setdefault(qid, {})[letter] = [int(pts)] * len(lines)
    return {
        "id": "ppi-indonesia-2012",
        "version": 1,
        "title": "Poverty Probability Index (PPI) Indonesia 2012",
        "source": "PPI(R) Indonesia 2012, Mark Schreiner (Microfinance Risk Management), "
                  "dibuat Desember 2012 dari Susenas 2010 (BPS); disalin dari "
                  "katilingban/ppitables (MIT, commit 108849a). Lihat core/data/pmt/SOURCE.md.",
        "illustrative": False,
        "region": {},
        "effective_from": "2012-12-01",
        "questions": questions,
        "kind": "scorecard",
        "parameters": {
            "lines": lines,
            "default_line": "100% National",
            "points": points,
            "lookup": lookup,
        },
    }


def main():
    for name, model in [("ppi-indonesia-2022", build_2022()), ("ppi-indonesia-2012", build_2012())]:
        out = ROOT / "core" / "models" / f"{name}.json"
        out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
