"""The project's own log of municipality and county changes 2017-2024, written by hand from SSB's
classifications (KLASS 131 and 104), and its parsed form (:func:`municipality_changes`,
:func:`county_changes`): what :mod:`.regions` maps historical codes with (see there for the rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Change:
    """One change in force from 1 January ``year``: ``old`` codes become ``new`` codes.

    ``shares[i][j]`` is the share of old code ``i``'s counts going to new code ``j`` (each row
    sums to 1). ``kind``: ``recode`` (one to one), ``merge`` (many to one), ``split`` (a
    whole unit shared out by population, weights may replace the shares), ``border`` (a
    municipality divided along a new border; fixed approximate shares). ``restores`` maps
    an earlier code to the new codes (with shares) that take its history back: Haram's 1534
    goes to 1580 whole, not by the split's population shares.
    """

    year: int
    old: tuple[str, ...]
    new: tuple[str, ...]
    kind: str
    shares: tuple[tuple[float, ...], ...]
    names: dict[str, str] = field(default_factory=dict)
    restores: dict[str, dict[str, float]] = field(default_factory=dict)
    note: str = ""


# --- the change log, municipalities ------------------------------------------------------
# One line per new code: ``NEW name <- OLD name + OLD name`` (a recode has one old code).
# Written from SSB's change lists (KLASS 131); the KOSTRA panel's own history column is used
# by the tests to check these lines, not to make them.

_M2017 = """
0710 Sandefjord <- 0706 Sandefjord + 0719 Andebu + 0720 Stokke
"""

_M2018 = """
# Vestfold
0712 Larvik <- 0709 Larvik + 0728 Lardal
0715 Holmestrand <- 0702 Holmestrand + 0714 Hof
0729 Færder <- 0722 Nøtterøy + 0723 Tjøme
# Trøndelag: Sør-Trøndelag (16) and Nord-Trøndelag (17) become one county, codes 50xx
5001 Trondheim <- 1601 Trondheim
5004 Steinkjer <- 1702 Steinkjer
5005 Namsos <- 1703 Namsos
5011 Hemne <- 1612 Hemne
5012 Snillfjord <- 1613 Snillfjord
5013 Hitra <- 1617 Hitra
5014 Frøya <- 1620 Frøya
5015 Ørland <- 1621 Ørland
5016 Agdenes <- 1622 Agdenes
5017 Bjugn <- 1627 Bjugn
5018 Åfjord <- 1630 Åfjord
5019 Roan <- 1632 Roan
5020 Osen <- 1633 Osen
5021 Oppdal <- 1634 Oppdal
5022 Rennebu <- 1635 Rennebu
5023 Meldal <- 1636 Meldal
5024 Orkdal <- 1638 Orkdal
5025 Røros <- 1640 Røros
5026 Holtålen <- 1644 Holtålen
5027 Midtre Gauldal <- 1648 Midtre Gauldal
5028 Melhus <- 1653 Melhus
5029 Skaun <- 1657 Skaun
5030 Klæbu <- 1662 Klæbu
5031 Malvik <- 1663 Malvik
5032 Selbu <- 1664 Selbu
5033 Tydal <- 1665 Tydal
5034 Meråker <- 1711 Meråker
5035 Stjørdal <- 1714 Stjørdal
5036 Frosta <- 1717 Frosta
5037 Levanger <- 1719 Levanger
5038 Verdal <- 1721 Verdal
5039 Verran <- 1724 Verran
5040 Namdalseid <- 1725 Namdalseid
5041 Snåase - Snåsa <- 1736 Snåase - Snåsa
5042 Lierne <- 1738 Lierne
5043 Raarvihke - Røyrvik <- 1739 Raarvihke - Røyrvik
5044 Namsskogan <- 1740 Namsskogan
5045 Grong <- 1742 Grong
5046 Høylandet <- 1743 Høylandet
5047 Overhalla <- 1744 Overhalla
5048 Fosnes <- 1748 Fosnes
5049 Flatanger <- 1749 Flatanger
5050 Vikna <- 1750 Vikna
5051 Nærøy <- 1751 Nærøy
5052 Leka <- 1755 Leka
5053 Inderøy <- 1756 Inderøy
5054 Indre Fosen <- 1624 Rissa + 1718 Leksvik
"""

_M2019 = """
5061 Rindal <- 1567 Rindal
"""

_M2020 = """
# Rogaland
1103 Stavanger <- 1103 Stavanger + 1141 Finnøy + 1142 Rennesøy
1108 Sandnes <- 1102 Sandnes + 1129 Forsand
# Møre og Romsdal
1506 Molde <- 1502 Molde + 1543 Nesset + 1545 Midsund
1507 Ålesund <- 1504 Ålesund + 1523 Ørskog + 1529 Skodje + 1534 Haram + 1546 Sandøy
1577 Volda <- 1519 Volda + 1444 Hornindal
1578 Fjord <- 1524 Norddal + 1526 Stordal
1579 Hustadvika <- 1548 Fræna + 1551 Eide
# Nordland (Narvik and Hamarøy also take parts of Tysfjord, see the border splits)
1806 Narvik <- 1805 Narvik + 1854 Ballangen
1875 Hamarøy <- 1849 Hamarøy
# Viken (30): Østfold
3001 Halden <- 0101 Halden
3002 Moss <- 0104 Moss + 0136 Rygge
3003 Sarpsborg <- 0105 Sarpsborg
3004 Fredrikstad <- 0106 Fredrikstad
3011 Hvaler <- 0111 Hvaler
3012 Aremark <- 0118 Aremark
3013 Marker <- 0119 Marker
3014 Indre Østfold <- 0122 Trøgstad + 0123 Spydeberg + 0124 Askim + 0125 Eidsberg + 0138 Hobøl
3015 Skiptvet <- 0127 Skiptvet
3016 Rakkestad <- 0128 Rakkestad
3017 Råde <- 0135 Råde
3018 Våler <- 0137 Våler
# Viken (30): Akershus, Rømskog (Østfold), Jevnaker and Lunner (Oppland)
3019 Vestby <- 0211 Vestby
3020 Nordre Follo <- 0213 Ski + 0217 Oppegård
3021 Ås <- 0214 Ås
3022 Frogn <- 0215 Frogn
3023 Nesodden <- 0216 Nesodden
3024 Bærum <- 0219 Bærum
3025 Asker <- 0220 Asker + 0627 Røyken + 0628 Hurum
3026 Aurskog-Høland <- 0221 Aurskog-Høland + 0121 Rømskog
3027 Rælingen <- 0228 Rælingen
3028 Enebakk <- 0229 Enebakk
3029 Lørenskog <- 0230 Lørenskog
3030 Lillestrøm <- 0226 Sørum + 0227 Fet + 0231 Skedsmo
3031 Nittedal <- 0233 Nittedal
3032 Gjerdrum <- 0234 Gjerdrum
3033 Ullensaker <- 0235 Ullensaker
3034 Nes <- 0236 Nes
3035 Eidsvoll <- 0237 Eidsvoll
3036 Nannestad <- 0238 Nannestad
3037 Hurdal <- 0239 Hurdal
3053 Jevnaker <- 0532 Jevnaker
3054 Lunner <- 0533 Lunner
# Viken (30): Buskerud and Svelvik (Vestfold)
3005 Drammen <- 0602 Drammen + 0625 Nedre Eiker + 0711 Svelvik
3006 Kongsberg <- 0604 Kongsberg
3007 Ringerike <- 0605 Ringerike
3038 Hole <- 0612 Hole
3039 Flå <- 0615 Flå
3040 Nesbyen <- 0616 Nes
3041 Gol <- 0617 Gol
3042 Hemsedal <- 0618 Hemsedal
3043 Ål <- 0619 Ål
3044 Hol <- 0620 Hol
3045 Sigdal <- 0621 Sigdal
3046 Krødsherad <- 0622 Krødsherad
3047 Modum <- 0623 Modum
3048 Øvre Eiker <- 0624 Øvre Eiker
3049 Lier <- 0626 Lier
3050 Flesberg <- 0631 Flesberg
3051 Rollag <- 0632 Rollag
3052 Nore og Uvdal <- 0633 Nore og Uvdal
# Innlandet (34): Hedmark and Oppland, recoded only
3401 Kongsvinger <- 0402 Kongsvinger
3403 Hamar <- 0403 Hamar
3405 Lillehammer <- 0501 Lillehammer
3407 Gjøvik <- 0502 Gjøvik
3411 Ringsaker <- 0412 Ringsaker
3412 Løten <- 0415 Løten
3413 Stange <- 0417 Stange
3414 Nord-Odal <- 0418 Nord-Odal
3415 Sør-Odal <- 0419 Sør-Odal
3416 Eidskog <- 0420 Eidskog
3417 Grue <- 0423 Grue
3418 Åsnes <- 0425 Åsnes
3419 Våler <- 0426 Våler
3420 Elverum <- 0427 Elverum
3421 Trysil <- 0428 Trysil
3422 Åmot <- 0429 Åmot
3423 Stor-Elvdal <- 0430 Stor-Elvdal
3424 Rendalen <- 0432 Rendalen
3425 Engerdal <- 0434 Engerdal
3426 Tolga <- 0436 Tolga
3427 Tynset <- 0437 Tynset
3428 Alvdal <- 0438 Alvdal
3429 Folldal <- 0439 Folldal
3430 Os <- 0441 Os
3431 Dovre <- 0511 Dovre
3432 Lesja <- 0512 Lesja
3433 Skjåk <- 0513 Skjåk
3434 Lom <- 0514 Lom
3435 Vågå <- 0515 Vågå
3436 Nord-Fron <- 0516 Nord-Fron
3437 Sel <- 0517 Sel
3438 Sør-Fron <- 0519 Sør-Fron
3439 Ringebu <- 0520 Ringebu
3440 Øyer <- 0521 Øyer
3441 Gausdal <- 0522 Gausdal
3442 Østre Toten <- 0528 Østre Toten
3443 Vestre Toten <- 0529 Vestre Toten
3446 Gran <- 0534 Gran
3447 Søndre Land <- 0536 Søndre Land
3448 Nordre Land <- 0538 Nordre Land
3449 Sør-Aurdal <- 0540 Sør-Aurdal
3450 Etnedal <- 0541 Etnedal
3451 Nord-Aurdal <- 0542 Nord-Aurdal
3452 Vestre Slidre <- 0543 Vestre Slidre
3453 Øystre Slidre <- 0544 Øystre Slidre
3454 Vang <- 0545 Vang
# Vestfold og Telemark (38)
3801 Horten <- 0701 Horten
3802 Holmestrand <- 0715 Holmestrand + 0713 Sande
3803 Tønsberg <- 0704 Tønsberg + 0716 Re
3804 Sandefjord <- 0710 Sandefjord
3805 Larvik <- 0712 Larvik
3811 Færder <- 0729 Færder
3806 Porsgrunn <- 0805 Porsgrunn
3807 Skien <- 0806 Skien
3808 Notodden <- 0807 Notodden
3812 Siljan <- 0811 Siljan
3813 Bamble <- 0814 Bamble
3814 Kragerø <- 0815 Kragerø
3815 Drangedal <- 0817 Drangedal
3816 Nome <- 0819 Nome
3817 Midt-Telemark <- 0821 Bø + 0822 Sauherad
3818 Tinn <- 0826 Tinn
3819 Hjartdal <- 0827 Hjartdal
3820 Seljord <- 0828 Seljord
3821 Kviteseid <- 0829 Kviteseid
3822 Nissedal <- 0830 Nissedal
3823 Fyresdal <- 0831 Fyresdal
3824 Tokke <- 0833 Tokke
3825 Vinje <- 0834 Vinje
# Agder (42)
4201 Risør <- 0901 Risør
4202 Grimstad <- 0904 Grimstad
4203 Arendal <- 0906 Arendal
4204 Kristiansand <- 1001 Kristiansand + 1017 Songdalen + 1018 Søgne
4205 Lindesnes <- 1002 Mandal + 1021 Marnardal + 1029 Lindesnes
4206 Farsund <- 1003 Farsund
4207 Flekkefjord <- 1004 Flekkefjord
4211 Gjerstad <- 0911 Gjerstad
4212 Vegårshei <- 0912 Vegårshei
4213 Tvedestrand <- 0914 Tvedestrand
4214 Froland <- 0919 Froland
4215 Lillesand <- 0926 Lillesand
4216 Birkenes <- 0928 Birkenes
4217 Åmli <- 0929 Åmli
4218 Iveland <- 0935 Iveland
4219 Evje og Hornnes <- 0937 Evje og Hornnes
4220 Bygland <- 0938 Bygland
4221 Valle <- 0940 Valle
4222 Bykle <- 0941 Bykle
4223 Vennesla <- 1014 Vennesla
4224 Åseral <- 1026 Åseral
4225 Lyngdal <- 1032 Lyngdal + 1027 Audnedal
4226 Hægebostad <- 1034 Hægebostad
4227 Kvinesdal <- 1037 Kvinesdal
4228 Sirdal <- 1046 Sirdal
# Vestland (46): Hordaland and Sogn og Fjordane
4601 Bergen <- 1201 Bergen
4602 Kinn <- 1401 Flora + 1439 Vågsøy
4611 Etne <- 1211 Etne
4612 Sveio <- 1216 Sveio
4613 Bømlo <- 1219 Bømlo
4614 Stord <- 1221 Stord
4615 Fitjar <- 1222 Fitjar
4616 Tysnes <- 1223 Tysnes
4617 Kvinnherad <- 1224 Kvinnherad
4618 Ullensvang <- 1228 Odda + 1231 Ullensvang + 1227 Jondal
4619 Eidfjord <- 1232 Eidfjord
4620 Ulvik <- 1233 Ulvik
4621 Voss <- 1235 Voss + 1234 Granvin
4622 Kvam <- 1238 Kvam
4623 Samnanger <- 1242 Samnanger
4624 Bjørnafjorden <- 1241 Fusa + 1243 Os
4625 Austevoll <- 1244 Austevoll
4626 Øygarden <- 1245 Sund + 1246 Fjell + 1259 Øygarden
4627 Askøy <- 1247 Askøy
4628 Vaksdal <- 1251 Vaksdal
4629 Modalen <- 1252 Modalen
4630 Osterøy <- 1253 Osterøy
4631 Alver <- 1256 Meland + 1260 Radøy + 1263 Lindås
4632 Austrheim <- 1264 Austrheim
4633 Fedje <- 1265 Fedje
4634 Masfjorden <- 1266 Masfjorden
4635 Gulen <- 1411 Gulen
4636 Solund <- 1412 Solund
4637 Hyllestad <- 1413 Hyllestad
4638 Høyanger <- 1416 Høyanger
4639 Vik <- 1417 Vik
4640 Sogndal <- 1420 Sogndal + 1418 Balestrand + 1419 Leikanger
4641 Aurland <- 1421 Aurland
4642 Lærdal <- 1422 Lærdal
4643 Årdal <- 1424 Årdal
4644 Luster <- 1426 Luster
4645 Askvoll <- 1428 Askvoll
4646 Fjaler <- 1429 Fjaler
4647 Sunnfjord <- 1432 Førde + 1430 Gaular + 1431 Jølster + 1433 Naustdal
4648 Bremanger <- 1438 Bremanger
4649 Stad <- 1441 Selje + 1443 Eid
4650 Gloppen <- 1445 Gloppen
4651 Stryn <- 1449 Stryn
# Trøndelag (50) (Heim, Hitra and Orkland also take parts of Snillfjord, see the border splits)
5001 Trondheim <- 5001 Trondheim + 5030 Klæbu
5006 Steinkjer <- 5004 Steinkjer + 5039 Verran
5007 Namsos <- 5005 Namsos + 5040 Namdalseid + 5048 Fosnes
5055 Heim <- 5011 Hemne + 1571 Halsa
5056 Hitra <- 5013 Hitra
5057 Ørland <- 5015 Ørland + 5017 Bjugn
5058 Åfjord <- 5018 Åfjord + 5019 Roan
5059 Orkland <- 5024 Orkdal + 5016 Agdenes + 5023 Meldal
5060 Nærøysund <- 5050 Vikna + 5051 Nærøy
# Troms og Finnmark (54): Troms, Finnmark and Tjeldsund (Nordland)
5401 Tromsø <- 1902 Tromsø
5402 Harstad <- 1903 Harstad
5411 Kvæfjord <- 1911 Kvæfjord
5412 Tjeldsund <- 1913 Skånland + 1852 Tjeldsund
5413 Ibestad <- 1917 Ibestad
5414 Gratangen <- 1919 Gratangen
5415 Loabák - Lavangen <- 1920 Lavangen
5416 Bardu <- 1922 Bardu
5417 Salangen <- 1923 Salangen
5418 Målselv <- 1924 Målselv
5419 Sørreisa <- 1925 Sørreisa
5420 Dyrøy <- 1926 Dyrøy
5421 Senja <- 1931 Lenvik + 1927 Tranøy + 1928 Torsken + 1929 Berg
5422 Balsfjord <- 1933 Balsfjord
5423 Karlsøy <- 1936 Karlsøy
5424 Lyngen <- 1938 Lyngen
5425 Storfjord - Omasvuotna - Omasvuono <- 1939 Storfjord
5426 Gáivuotna - Kåfjord - Kaivuono <- 1940 Gáivuotna - Kåfjord
5427 Skjervøy <- 1941 Skjervøy
5428 Nordreisa <- 1942 Nordreisa
5429 Kvænangen <- 1943 Kvænangen
5403 Alta <- 2012 Alta
5404 Vardø <- 2002 Vardø
5405 Vadsø <- 2003 Vadsø
5406 Hammerfest <- 2004 Hammerfest + 2017 Kvalsund
5430 Guovdageaidnu - Kautokeino <- 2011 Guovdageaidnu - Kautokeino
5432 Loppa <- 2014 Loppa
5433 Hasvik <- 2015 Hasvik
5434 Måsøy <- 2018 Måsøy
5435 Nordkapp <- 2019 Nordkapp
5436 Porsanger - Porsáŋgu - Porsanki <- 2020 Porsanger
5437 Kárásjohka - Karasjok <- 2021 Kárásjohka - Karasjok
5438 Lebesby <- 2022 Lebesby
5439 Gamvik <- 2023 Gamvik
5440 Berlevåg <- 2024 Berlevåg
5441 Deatnu - Tana <- 2025 Deatnu - Tana
5442 Unjárga - Nesseby <- 2027 Unjárga - Nesseby
5443 Båtsfjord <- 2028 Båtsfjord
5444 Sør-Varanger <- 2030 Sør-Varanger
"""

_M2024 = """
# Østfold (31)
3101 Halden <- 3001 Halden
3103 Moss <- 3002 Moss
3105 Sarpsborg <- 3003 Sarpsborg
3107 Fredrikstad <- 3004 Fredrikstad
3110 Hvaler <- 3011 Hvaler
3112 Råde <- 3017 Råde
3114 Våler <- 3018 Våler
3116 Skiptvet <- 3015 Skiptvet
3118 Indre Østfold <- 3014 Indre Østfold
3120 Rakkestad <- 3016 Rakkestad
3122 Marker <- 3013 Marker
3124 Aremark <- 3012 Aremark
# Akershus (32)
3201 Bærum <- 3024 Bærum
3203 Asker <- 3025 Asker
3205 Lillestrøm <- 3030 Lillestrøm
3207 Nordre Follo <- 3020 Nordre Follo
3209 Ullensaker <- 3033 Ullensaker
3212 Nesodden <- 3023 Nesodden
3214 Frogn <- 3022 Frogn
3216 Vestby <- 3019 Vestby
3218 Ås <- 3021 Ås
3220 Enebakk <- 3028 Enebakk
3222 Lørenskog <- 3029 Lørenskog
3224 Rælingen <- 3027 Rælingen
3226 Aurskog-Høland <- 3026 Aurskog-Høland
3228 Nes <- 3034 Nes
3230 Gjerdrum <- 3032 Gjerdrum
3232 Nittedal <- 3031 Nittedal
3234 Lunner <- 3054 Lunner
3236 Jevnaker <- 3053 Jevnaker
3238 Nannestad <- 3036 Nannestad
3240 Eidsvoll <- 3035 Eidsvoll
3242 Hurdal <- 3037 Hurdal
# Buskerud (33)
3301 Drammen <- 3005 Drammen
3303 Kongsberg <- 3006 Kongsberg
3305 Ringerike <- 3007 Ringerike
3310 Hole <- 3038 Hole
3312 Lier <- 3049 Lier
3314 Øvre Eiker <- 3048 Øvre Eiker
3316 Modum <- 3047 Modum
3318 Krødsherad <- 3046 Krødsherad
3320 Flå <- 3039 Flå
3322 Nesbyen <- 3040 Nesbyen
3324 Gol <- 3041 Gol
3326 Hemsedal <- 3042 Hemsedal
3328 Ål <- 3043 Ål
3330 Hol <- 3044 Hol
3332 Sigdal <- 3045 Sigdal
3334 Flesberg <- 3050 Flesberg
3336 Rollag <- 3051 Rollag
3338 Nore og Uvdal <- 3052 Nore og Uvdal
# Vestfold (39)
3901 Horten <- 3801 Horten
3903 Holmestrand <- 3802 Holmestrand
3905 Tønsberg <- 3803 Tønsberg
3907 Sandefjord <- 3804 Sandefjord
3909 Larvik <- 3805 Larvik
3911 Færder <- 3811 Færder
# Telemark (40)
4001 Porsgrunn <- 3806 Porsgrunn
4003 Skien <- 3807 Skien
4005 Notodden <- 3808 Notodden
4010 Siljan <- 3812 Siljan
4012 Bamble <- 3813 Bamble
4014 Kragerø <- 3814 Kragerø
4016 Drangedal <- 3815 Drangedal
4018 Nome <- 3816 Nome
4020 Midt-Telemark <- 3817 Midt-Telemark
4022 Seljord <- 3820 Seljord
4024 Hjartdal <- 3819 Hjartdal
4026 Tinn <- 3818 Tinn
4028 Kviteseid <- 3821 Kviteseid
4030 Nissedal <- 3822 Nissedal
4032 Fyresdal <- 3823 Fyresdal
4034 Tokke <- 3824 Tokke
4036 Vinje <- 3825 Vinje
# Troms (55)
5501 Tromsø <- 5401 Tromsø
5503 Harstad <- 5402 Harstad
5510 Kvæfjord <- 5411 Kvæfjord
5512 Tjeldsund <- 5412 Tjeldsund
5514 Ibestad <- 5413 Ibestad
5516 Gratangen <- 5414 Gratangen
5518 Loabák - Lavangen <- 5415 Loabák - Lavangen
5520 Bardu <- 5416 Bardu
5522 Salangen <- 5417 Salangen
5524 Målselv <- 5418 Målselv
5526 Sørreisa <- 5419 Sørreisa
5528 Dyrøy <- 5420 Dyrøy
5530 Senja <- 5421 Senja
5532 Balsfjord <- 5422 Balsfjord
5534 Karlsøy <- 5423 Karlsøy
5536 Lyngen <- 5424 Lyngen
5538 Storfjord - Omasvuotna - Omasvuono <- 5425 Storfjord - Omasvuotna - Omasvuono
5540 Gáivuotna - Kåfjord - Kaivuono <- 5426 Gáivuotna - Kåfjord - Kaivuono
5542 Skjervøy <- 5427 Skjervøy
5544 Nordreisa <- 5428 Nordreisa
5546 Kvænangen <- 5429 Kvænangen
# Finnmark (56)
5601 Alta <- 5403 Alta
5603 Hammerfest <- 5406 Hammerfest
5605 Sør-Varanger <- 5444 Sør-Varanger
5607 Vadsø <- 5405 Vadsø
5610 Kárásjohka - Karasjok <- 5437 Kárásjohka - Karasjok
5612 Guovdageaidnu - Kautokeino <- 5430 Guovdageaidnu - Kautokeino
5614 Loppa <- 5432 Loppa
5616 Hasvik <- 5433 Hasvik
5618 Måsøy <- 5434 Måsøy
5620 Nordkapp <- 5435 Nordkapp
5622 Porsanger - Porsáŋgu - Porsanki <- 5436 Porsanger - Porsáŋgu - Porsanki
5624 Lebesby <- 5438 Lebesby
5626 Gamvik <- 5439 Gamvik
5628 Deatnu - Tana <- 5441 Deatnu - Tana
5630 Berlevåg <- 5440 Berlevåg
5632 Båtsfjord <- 5443 Båtsfjord
5634 Vardø <- 5404 Vardø
5636 Unjárga - Nesseby <- 5442 Unjárga - Nesseby
"""

#: Haram's share of Ålesund (1507, 2020-2023 borders): Haram had about 9 500 and Ålesund
#: (2024 borders) about 58 500 of the about 68 000 inhabitants on 1 January 2024 (SSB 07459,
#: rounded). Used only for 1507's data of 2020-2023; earlier data keep their own unit.
HARAM_SHARE = 0.14

#: Splits of one code into several, with the share of its counts going to each new code.
#: ``border`` shares are rough (the parts' inhabitants are not published as a table).
_M_SPLITS: tuple[Change, ...] = (
    Change(2020, ("1850",), ("1806", "1875"), "border", ((0.5, 0.5),),
           {"1850": "Tysfjord", "1806": "Narvik", "1875": "Hamarøy"},
           note="Tysfjord (about 1 950 inhabitants, 2019) divided along the fjord: the north-east side "
                "(Kjøpsvik) to Narvik, the south-west side (Drag) to Hamarøy; Hamarøy grew from about 1 800 "
                "to 2 766 inhabitants, so about half of Tysfjord went each way (approximate)."),
    Change(2020, ("5012",), ("5059", "5056", "5055"), "border", ((0.6, 0.25, 0.15),),
           {"5012": "Snillfjord", "5059": "Orkland", "5056": "Hitra", "5055": "Heim"},
           note="Snillfjord (about 1 000 inhabitants, 2019) divided in three: the largest part "
                "(Krokstadøra) to Orkland, the north-west (Hemnskjela) to Hitra, the south-west "
                "(Vinjeøra side) to Heim; shares are rough assumptions."),
    Change(2024, ("1507",), ("1508", "1580"), "split", ((1.0 - HARAM_SHARE, HARAM_SHARE),),
           {"1507": "Ålesund", "1508": "Ålesund", "1580": "Haram"},
           restores={"1534": {"1580": 1.0}, **{c: {"1508": 1.0} for c in ("1504", "1523", "1529", "1546")}},
           note="Haram re-established from Ålesund on 1 January 2024 with its 2019 borders; "
                "data of 2020-2023 for 1507 are shared by population (HARAM_SHARE)."),
)

# --- counties -----------------------------------------------------------------------------
#: County shares on 1 January 2024 (SSB 07459, populations rounded to thousands as in
#: ``default_facts.yaml``): Østfold 304, Akershus 725, Buskerud 268; Vestfold 255, Telemark
#: 177; Troms 170, Finnmark 75 thousand.
_COUNTY_POP_2024 = {"31": 304, "32": 725, "33": 268, "39": 255, "40": 177, "55": 170, "56": 75}


def _county_shares(codes: tuple[str, ...]) -> tuple[float, ...]:
    total = sum(_COUNTY_POP_2024[c] for c in codes)
    return tuple(_COUNTY_POP_2024[c] / total for c in codes)


#: County changes. Municipalities that moved between counties make the old counties' data
#: only approximately divisible; the shares below are the moved municipalities' approximate
#: share of the old county's population in 2019 (rounded): Jevnaker and Lunner about 15 900
#: of Oppland's 189 500 (0.084), Svelvik about 6 600 of Vestfold's 250 000 (0.026), Hornindal
#: about 1 200 of Sogn og Fjordane's 109 000 (0.011), Halsa about 1 600 of Møre og Romsdal's
#: 265 000 (0.006), Tjeldsund about 1 200 of Nordland's 242 000 (0.005), Rindal about 2 000
#: (0.008, moved 2019). Røyken and Hurum (about 31 500 of Buskerud's 283 000, 0.111) joined
#: Asker and Rømskog (about 700 of Østfold's 297 000, 0.002) Aurskog-Høland inside Viken;
#: in 2024 both are in Akershus.
_C_CHANGES: tuple[Change, ...] = (
    Change(2018, ("16", "17"), ("50",), "merge", ((1.0,), (1.0,)),
           {"16": "Sør-Trøndelag", "17": "Nord-Trøndelag", "50": "Trøndelag"}),
    Change(2019, ("15",), ("15", "50"), "border", ((0.992, 0.008),),
           {"15": "Møre og Romsdal", "50": "Trøndelag"}, note="Rindal (about 2 000 inhabitants) to Trøndelag"),
    Change(2020, ("01", "02", "06", "04", "05", "07", "08", "09", "10", "12", "14", "15", "18", "19", "20"),
           ("30", "34", "38", "42", "46", "15", "50", "18", "54"), "merge",
           (  # 30   34     38     42   46   15     50     18     54
               (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 01 Østfold
               (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 02 Akershus
               (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 06 Buskerud
               (0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 04 Hedmark
               (0.084, 0.916, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 05 Oppland: Jevnaker, Lunner to Viken
               (0.026, 0.0, 0.974, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 07 Vestfold: Svelvik to Viken
               (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 08 Telemark
               (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 09 Aust-Agder
               (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),  # 10 Vest-Agder
               (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0),  # 12 Hordaland
               (0.0, 0.0, 0.0, 0.0, 0.989, 0.011, 0.0, 0.0, 0.0),  # 14 Sogn og Fjordane: Hornindal to M&R
               (0.0, 0.0, 0.0, 0.0, 0.0, 0.994, 0.006, 0.0, 0.0),  # 15 Møre og Romsdal: Halsa to Trøndelag
               (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.995, 0.005),  # 18 Nordland: Tjeldsund to T&F
               (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),  # 19 Troms
               (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),  # 20 Finnmark
           ),
           {"01": "Østfold", "02": "Akershus", "06": "Buskerud", "04": "Hedmark", "05": "Oppland",
            "07": "Vestfold", "08": "Telemark", "09": "Aust-Agder", "10": "Vest-Agder", "12": "Hordaland",
            "14": "Sogn og Fjordane", "15": "Møre og Romsdal", "18": "Nordland", "19": "Troms",
            "20": "Finnmark", "30": "Viken", "34": "Innlandet", "38": "Vestfold og Telemark", "42": "Agder",
            "46": "Vestland", "50": "Trøndelag", "54": "Troms og Finnmark"},
           note="regional reform 2020; Røyken and Hurum (Buskerud) joined Asker, Rømskog (Østfold) "
                "Aurskog-Høland, all within Viken"),
    Change(2024, ("30",), ("31", "32", "33"), "split", (_county_shares(("31", "32", "33")),),
           {"30": "Viken", "31": "Østfold", "32": "Akershus", "33": "Buskerud"},
           # the 2019 counties' data go back to the 2024 counties their municipalities are in
           restores={"01": {"31": 0.998, "32": 0.002}, "02": {"32": 1.0}, "05": {"32": 1.0},
                     "06": {"33": 0.889, "32": 0.111}, "07": {"33": 1.0}}),
    Change(2024, ("38",), ("39", "40"), "split", (_county_shares(("39", "40")),),
           {"38": "Vestfold og Telemark", "39": "Vestfold", "40": "Telemark"},
           restores={"07": {"39": 1.0}, "08": {"40": 1.0}}),
    Change(2024, ("54",), ("55", "56"), "split", (_county_shares(("55", "56")),),
           {"54": "Troms og Finnmark", "55": "Troms", "56": "Finnmark"},
           restores={"19": {"55": 1.0}, "18": {"55": 1.0}, "20": {"56": 1.0}}),
)


# --- parsing the change log ----------------------------------------------------------------
_LINE = re.compile(r"^(\d{4}) (.+?) <- (.+)$")
_PART = re.compile(r"^(\d{4}) (.+)$")


def _parse(year: int, text: str) -> list[Change]:
    out = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:  # pragma: no cover - guards the table's own syntax
            raise ValueError(f"regions table {year}: cannot parse {line!r}")
        new, new_name = m.group(1), m.group(2).strip()
        names = {new: new_name}
        olds = []
        for part in m.group(3).split(" + "):
            pm = _PART.match(part.strip())
            if not pm:  # pragma: no cover
                raise ValueError(f"regions table {year}: cannot parse {part!r} in {line!r}")
            olds.append(pm.group(1))
            names.setdefault(pm.group(1), pm.group(2).strip())
        olds_t = tuple(o for o in olds if o != new) if len(olds) > 1 else tuple(olds)
        if olds_t == (new,):
            continue  # same code, same unit: nothing changes
        kind = "recode" if len(olds) == 1 else "merge"
        # a merge that keeps one old code (5001 Trondheim <- 5001 + 5030) lists only the others
        out.append(Change(year, olds_t, (new,), kind, tuple((1.0,) for _ in olds_t), names))
    return out


@lru_cache(maxsize=1)
def municipality_changes() -> tuple[Change, ...]:
    """Every municipality change 2017-2024 (in force from 1 January of ``year``), by year."""
    changes = (_parse(2017, _M2017) + _parse(2018, _M2018) + _parse(2019, _M2019) + _parse(2020, _M2020)
               + _parse(2024, _M2024) + list(_M_SPLITS))
    return tuple(sorted(changes, key=lambda c: c.year))


def county_changes() -> tuple[Change, ...]:
    """Every county change 2018-2024, by year."""
    return tuple(sorted(_C_CHANGES, key=lambda c: c.year))
