"""The command line's own words in English and Norwegian (bokmål): printed tables, messages and
help. ``helsemod --lang nb`` (or ``HELSEMOD_LANG=nb``) chooses Norwegian; the documents that
``plot`` and ``report`` write have their own ``--lang`` (default ``nb``).

Help texts are written in English in :mod:`helsemod_py.cli`; :data:`HELP_NB` holds their Norwegian
form by command (``run``) and option (``run --region``); a text without one is shown in English.
"""

from __future__ import annotations

import os

import click

LANGS = ("en", "nb")
ENV = "HELSEMOD_LANG"

#: key -> (English, Norwegian); ``{name}`` placeholders are filled by :func:`tr`.
TEXT: dict[str, tuple[str, str]] = {
    "fte_by_group": ("{label}: FTE by personnel group (negative gap = shortage), scenario {scenario}",
                     "{label}: årsverk etter personellgruppe (negativ differanse = mangel), scenario {scenario}"),
    "block_municipal": ("municipal health and care (care services and other municipal services)",
                        "kommunale helse- og omsorgstjenester (omsorgstjenester og andre kommunale tjenester)"),
    "block_specialist": ("specialist health services (hospital trusts; demand by residence)",
                         "spesialisthelsetjenesten (helseforetak; etterspørsel etter bosted)"),
    "group": ("group", "gruppe"),
    "supply": ("supply", "tilbud"),
    "demand": ("demand", "etterspørsel"),
    "gap": ("gap", "differanse"),
    "all_groups": ("all groups", "alle grupper"),
    "nurses_care": ("nurses in municipal care (care_nurse_fte, KOSTRA's scope): {y0v} FTE in {y0}, {y1v} in {y1}",
                    "sykepleiere i kommunale omsorgstjenester (care_nurse_fte, KOSTRAs avgrensning): {y0v} årsverk "
                    "i {y0}, {y1v} i {y1}"),
    "base_supply": ("base-year supply: {parts}{what}", "tilbud i basisåret: {parts}{what}"),
    "measured_groups": (" (measured: {groups})", " (målt: {groups})"),
    "none": ("none", "ingen"),
    "measured": ("measured", "målt"),
    "solving": ("solving {n} region(s)", "løser for {n} region(er)"),
    "intake_head": ("extra {channel} of {group} per year from {start} to close the gap in {year}:",
                    "ekstra {channel} ({group}) per år fra {start} for å lukke differansen i {year}:"),
    "intake_row": ("{gap:>10,.0f} FTE gap -> {extra:>9,.0f} per year",
                   "{gap:>10,.0f} årsverk differanse → {extra:>9,.0f} per år"),
    "graduates": ("graduates", "uteksaminerte"),
    "recruits": ("recruits", "rekrutterte"),
    "valid_ok": ("ok: {file}: {name!r}, {n} measure(s)", "ok: {file}: {name!r}, {n} tiltak"),
    "invalid_files": ("{bad} of {n} file(s) invalid", "{bad} av {n} fil(er) er ugyldige"),
    "n_measures": ("{n:>3} measure(s)", "{n:>3} tiltak"),
    "dataset_hash": ("dataset hash: {h}", "datasettets hash: {h}"),
    "synthetic_flag": (" [synthetic]", " [syntetisk]"),
    "estimated": ("estimated", "anslått"),
    "synthetic": ("synthetic", "syntetisk"),
    "synthetic_line": ("NOTE: SYNTHETIC data: the municipalities of dataset {dataset!r} are made up (sizes, names, "
                       "age profiles); do not read municipal figures as figures of real municipalities",
                       "MERK: SYNTETISKE data: kommunene i datasettet {dataset!r} er oppdiktede (størrelser, navn, "
                       "aldersprofiler); kommunetall er ikke tall for ekte kommuner"),
    "nation": ("Norge", "Norge"),
    "selected": ("{n} selected municipalities ({spec})", "{n} valgte kommuner ({spec})"),
    "bands": ("\n{where}: gap {year} ({scope}) over {draws} draws (seed {seed}): median [{lo:.0%}, {hi:.0%}] FTE",
              "\n{where}: differanse {year} ({scope}) over {draws} trekninger (frø {seed}): median [{lo:.0%}, "
              "{hi:.0%}] årsverk"),
    "bands_all_sectors": ("all sectors", "alle sektorer"),
    "bands_municipal_sectors": ("municipal sectors", "kommunale sektorer"),
    "n_draws": ("{n} draws", "{n} trekninger"),
    "wrote": ("wrote {what}", "skrev {what}"),
    "wrote_run": ("\nwrote {out}/results.{fmt}{extra} and manifest.json",
                  "\nskrev {out}/results.{fmt}{extra} og manifest.json"),
    "and_quantiles": (" and quantiles.csv", " og quantiles.csv"),
    "projecting": ("projecting {name}", "framskriver {name}"),
    "projecting_n": ("projecting {n} scenarios", "framskriver {n} scenarioer"),
    "writing": ("writing {out}", "skriver {out}"),
    "attributing": ("attributing {name}", "fordeler på tiltak: {name}"),
    "ranges": ("evidence ranges of {name}", "spenn i virkning: {name}"),
    "drawing": ("drawing plots", "tegner figurer"),
    "vs": ("\n{scn} vs {base}, {year} (FTE, + = smaller shortage)",
           "\n{scn} mot {base}, {year} (årsverk, + = mindre mangel)"),
    "vs_region": ("\n{scn} vs {base} in {label}, {year} (gap change, FTE, + = smaller shortage)",
                  "\n{scn} mot {base} i {label}, {year} (endring i differansen, årsverk, + = mindre mangel)"),
    "gap_change": ("gap change", "endring i differanse"),
    "shortage_reduction": ("shortage reduction", "mindre mangel"),
    "shortage_line": ("shortage {year} (negative gaps of municipalities and hospital trusts): {a} -> {b} FTE",
                      "mangel {year} (negative differanser i kommuner og helseforetak): {a} -> {b} årsverk"),
    "by_county": ("gap change by county: ", "endring i differansen etter fylke: "),
    "wf_head": ("waterfall {year}, {what} ({method}); costs a year, NOK per FTE gained:",
                "fossefall {year}, {what} ({method}); kostnader per år, kroner per vunnet årsverk:"),
    "wf_gap": ("change in the gap", "endring i differansen"),
    "wf_shortage": ("shortage reduction", "mindre mangel"),
    "measure": ("measure", "tiltak"),
    "status": ("status", "status"),
    "evidence": ("evidence", "grunnlag"),
    "range_fte": ("range FTE", "spenn årsverk"),
    "local_fte": ("local FTE", "lokalt årsverk"),
    "programme": ("programme", "program"),
    "total": ("total", "samlet"),
    "npf_prog": ("NOK/FTE prog.", "kr/årsverk prog."),
    "npf_total": ("NOK/FTE total", "kr/årsverk samlet"),
    "mnok": ("MNOK", "mill. kr"),
    "fte": ("FTE", "årsverk"),
    "to": ("{a} to {b}", "{a} til {b}"),
    "method_exact": ("shapley (exact)", "Shapley (eksakt)"),
    "method_sampled": ("shapley (sampled, {n} orders, seed {seed})", "Shapley (utvalg, {n} rekkefølger, frø {seed})"),
    "writing_report": ("writing the report", "skriver rapporten"),
}

#: Norwegian help: ``command`` -> the command's text, ``command --option`` -> the option's.
HELP_NB: dict[str, str] = {
    "": """Framskriv tilbud av og etterspørsel etter helse- og omsorgspersonell per kommune.

    Norsk tekst: helsemod --lang nb KOMMANDO, eller HELSEMOD_LANG=nb.

    \b
    Eksempel:
        helsemod run                       # referansebanen på det innebygde datasettet
        helsemod run --out results/base    # ... og skriv tabeller og manifest
        helsemod info""",
    " --debug": "Vis traceback ved feil.",
    " --lang": "Språk for kommandolinjens tabeller, meldinger og hjelp (en eller nb; også HELSEMOD_LANG).",
    "run": """Framskriv et scenario (standard: referansebanen) og skriv ut differansen etter personellgruppe.

    Hele landet framskrives alltid, så en kommunes tall er de samme enten den er valgt eller ikke;
    --region/--regions velger bare hva som vises og skrives.

    \b
    Eksempel:
        helsemod run                                  # referansebanen, innebygde data
        helsemod --lang nb run scenarios/torn_full_time.yaml --region Innlandet --out results/torn""",
    "run --data": "Datasettmappe (standard: det innebygde Norge-lignende datasettet).",
    "run --end-year": "Siste framskrevne år (standard: scenarioets, ellers 2035; høyst 2050).",
    "run --out": "Skriv results.csv og manifest.json til denne mappen.",
    "run --format": "Tabellformat (xlsx: ett ark per regionnivå, pluss results.csv).",
    "run --force": "Overskriv en eksisterende --out-mappe.",
    "run --region": "Vis denne kommunen eller dette fylket (kode eller navn) i stedet for landet, og skriv bare "
                    "den med fylket og landet (se --all-regions).",
    "run --regions": "Vis og skriv bare disse kommunene og/eller fylkene (kommaseparerte koder eller navn), med "
                     "fylkene og landet. Hele landet framskrives alltid.",
    "run --all-regions": "Skriv alle kommuner og fylker også med --region/--regions.",
    "run --groups": "Bare disse personellgruppene (kommaseparert; id eller norsk navn, f.eks. "
                    "sykepleiere,helsefagarbeidere).",
    "run --json": "Skriv sammendraget som JSON i stedet for en tabell.",
    "run --draws": "Monte Carlo-trekninger av scenarioets usikkerhet (0: bare deterministisk).",
    "run --seed": "Frø for trekningene (reproduserbart).",
    "run --noise": "Poisson-støy på strømmene i små kommuner i trekningene.",
    "run --scheduler": "Kjør bolker av trekninger på en Dask-klynge (adresse, eller 'local').",
    "run --quiet": "Skriv ikke ut annet enn feil.",
    "run --allow-outside": "La extends: og filer for befolkningsdriver ligge utenfor scenariofilens mappe.",
    "compare": """Sammenlign scenarioer med det første: differanse og mangel etter gruppe og fylke, fordeling på
    tiltak og kostnad per årsverk.

    Kostnad per vunnet årsverk vises på to grunnlag: programkostnaden alene, og samlet kostnad
    (program + lønn og arbeidsgiverkostnader for årsverkene som vinnes + andre kostnader). Tiltak
    uten publisert kilde og spenn for virkningen merkes *assumption.

    \b
    Eksempel:
        helsemod --lang nb compare scenarios/baseline.yaml scenarios/k2025_all.yaml --year 2035
        helsemod compare scenarios/baseline.yaml scenarios/aks.yaml --outcome shortage""",
    "compare --data": "Datasettmappe (standard: det innebygde Norge-lignende datasettet).",
    "compare --year": "År som sammenlignes (standard: siste framskrevne år).",
    "compare --end-year": "Siste framskrevne år (standard: det første scenarioets).",
    "compare --attribution": "Fordel hvert scenarios endring på tiltakene (Shapley) med kostnad per årsverk.",
    "compare --samples": "Tilfeldige rekkefølger for utvalgte Shapley-verdier (der verdiene ikke er eksakte: se "
                         "metodedokumentet).",
    "compare --outcome": "Hva fordelingen deler: netto differanse, eller mangelen (bare negative differanser, så "
                         "oppgaveflytting til en gruppe med ledig kapasitet teller).",
    "compare --region": "Vis også endringen i denne kommunen eller dette fylket (kode eller navn), og skriv bare "
                        "den med fylket og landet (se --all-regions).",
    "compare --regions": "Som --region for flere kommuner og/eller fylker (kommaseparert), vist som én sum.",
    "compare --all-regions": "Skriv alle kommuner og fylker også med --region/--regions.",
    "compare --out": "Skriv comparison.csv, attribution.csv, cost_effectiveness.csv og manifest.json hit.",
    "compare --force": "Overskriv en eksisterende --out-mappe.",
    "compare --quiet": "Skriv ikke ut annet enn feil.",
    "compare --allow-outside": "La extends: og filer for befolkningsdriver ligge utenfor scenariofilens mappe.",
    "plot": """Tegn PNG-figurer fra en resultatmappe skrevet av `run` eller `compare`.

    \b
    Eksempel:
        helsemod run scenarios/k2025_all.yaml --out results/k2025 && helsemod plot results/k2025 --lang nb""",
    "plot --out": "Mappe for PNG-filene (standard: RESULTATMAPPE/plots).",
    "plot --lang": "Språk i figurene.",
    "plot --region": "Kommune eller fylke (kode eller navn) for de regionale figurene.",
    "report": """Skriv én selvstendig HTML-rapport (tabeller, figurer, kilder) fra en resultatmappe.

    \b
    Eksempel:
        helsemod compare scenarios/baseline.yaml scenarios/k2025_all.yaml --out results/cmp
        helsemod report results/cmp --lang nb --excel results/cmp/tabeller.xlsx""",
    "report --out": "HTML-fil (standard: RESULTATMAPPE/report_<lang>.html).",
    "report --excel": "Skriv også rapportens tabeller til denne Excel-filen.",
    "report --lang": "Språk i rapporten.",
    "report --region": "Kommune eller fylke (kode eller navn) for tabell 1, sammenligningen og figurene.",
    "intake": """Ekstra uteksaminerte (eller rekrutterte) per år som trengs for å lukke en gruppes differanse
    innen et målår.

    GROUP: en personellgruppes id eller norske navn (nurse, sykepleiere; `helsemod list groups`).

    \b
    Eksempel:
        helsemod intake sykepleiere --target-year 2035 --start-year 2026 --level fylke""",
    "intake --target-year": "Året differansen skal være lukket.",
    "intake --start-year": "Første år med ekstra tilgang (standard: basisåret).",
    "intake --level": "nation (nasjon, land), county (fylke) eller municipality (kommune).",
    "intake --scenario": "Løs på toppen av dette scenarioet (standard: referansebanen).",
    "* --help": "Vis denne hjelpen og avslutt.",
    "* --data": "Datasettmappe (standard: det innebygde Norge-lignende datasettet).",
    "* --force": "Overskriv en eksisterende mappe.",
    "* --allow-outside": "La extends: og filer for befolkningsdriver ligge utenfor scenariofilens mappe.",
    "* --version": "Vis versjonen og avslutt.",
    "list": """List personellgrupper, tjenester, regioner, scenariofiler eller tiltakstyper.""",
    "info": """Oppsummer et datasett: årgang, størrelse, kilder og hva som er syntetisk.""",
    "validate": """Kontroller scenariofiler (skjema, enheter, koder, extends) uten å kjøre dem.""",
    "list --county": "Bare kommunene i dette fylket (kode eller navn).",
    "list --dir": "Mappe med scenariofiler.",
    "sensitivity": """Global følsomhet (SALib Sobol eller Morris) i den nasjonale differansen for usikre
    parametere.""",
    "bench": """Kjør ytelses- og valideringstestene (hastighet, trekninger, tilbaketester) og skriv ut
    tabellene deres (hver skrives også til benchmarks/<navn>.md).""",
    "data": """Datasettverktøy: hent og importer SSB-tabeller, bygg, skriv og kontroller datasettmapper.""",
    "data default": """Skriv det innebygde standarddatasettet til en mappe (for å se på eller endre det).""",
    "data fetch": """Last ned SSB-tabeller gjennom PxWebApi (JSON-stat2) til en hurtigbuffermappe; deretter
    `helsemod data import` og `helsemod data build`.""",
    "data import": """Gjør SSB-filer (JSON-stat2 eller SSB-CSV, lastet ned for hånd eller med `fetch`) om til en
    importmappe.""",
    "data build": """Bygg et datasett for de virkelige kommunene fra SSBs befolkningsfiler (og KOSTRA,
    personelltabeller og sysselsatte der de gis).""",
    "data check": """Kontroller en datasettmappe; skriv ut hvert problem på én linje.""",
}


def current_lang(ctx: click.Context | None = None) -> str:
    """The CLI's language: the root's ``--lang``, else ``HELSEMOD_LANG``, else English."""
    ctx = ctx or click.get_current_context(silent=True)
    lang = None
    if ctx is not None:
        lang = ctx.find_root().params.get("lang")
    lang = lang or os.environ.get(ENV, "en")
    return lang if lang in LANGS else "en"


def tr(key: str, lang: str | None = None, **fmt) -> str:
    """The phrase ``key`` in ``lang`` (default: :func:`current_lang`)."""
    text = TEXT[key][1 if (lang or current_lang()) == "nb" else 0]
    return text.format(**fmt) if fmt else text


def _help_key(ctx: click.Context) -> str:
    parent = ctx.parent
    if parent is None:
        return ""
    return ctx.info_name if parent.parent is None else f"{parent.info_name} {ctx.info_name}"


class Localized:
    """Mixin for click commands: help in Norwegian where :func:`current_lang` says ``nb``."""

    def format_help(self, ctx, formatter):
        if current_lang(ctx) != "nb":
            return super().format_help(ctx, formatter)
        key = _help_key(ctx)
        saved = (self.help, [(p, getattr(p, "help", None)) for p in self.params])
        self.help = HELP_NB.get(key, self.help)
        for p, text in saved[1]:
            name = max(getattr(p, "opts", [p.name]), key=len)
            if hasattr(p, "help"):
                p.help = HELP_NB.get(f"{key} {name}", HELP_NB.get(f"* {name}", text))
        try:
            super().format_help(ctx, formatter)
        finally:
            self.help = saved[0]
            for p, text in saved[1]:
                if hasattr(p, "help"):
                    p.help = text

    def format_usage(self, ctx, formatter):
        if current_lang(ctx) != "nb":
            return super().format_usage(ctx, formatter)
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Bruk: ")

    def format_options(self, ctx, formatter):
        if current_lang(ctx) != "nb":
            return super().format_options(ctx, formatter)
        rows = []
        for p in self.get_params(ctx):
            if not isinstance(p, click.Option):
                continue
            saved = p.help
            if p not in self.params:  # the help option click adds
                p.help = HELP_NB.get(f"* {max(p.opts, key=len)}", p.help)
            try:
                rv = p.get_help_record(ctx)
            finally:
                p.help = saved
            if rv is not None:  # click's own words in the option's brackets, in Norwegian
                rows.append((rv[0], rv[1].replace("[default: ", "[standard: ").replace("; required]", "; påkrevd]")
                             .replace("[required]", "[påkrevd]")))
        if rows:
            with formatter.section("Valg"):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            cmds = [(n, c) for n in self.list_commands(ctx) if (c := self.get_command(ctx, n)) and not c.hidden]
            if cmds:
                with formatter.section("Kommandoer"):
                    width = formatter.width - 6 - max(len(n) for n, _ in cmds)
                    prefix = f"{_help_key(ctx)} ".lstrip()  # "data " for the data group's commands
                    formatter.write_dl([(n, _short_help(HELP_NB[prefix + n], width) if prefix + n in HELP_NB
                                         else c.get_short_help_str(width)) for n, c in cmds])


class LocalizedCommand(Localized, click.Command):
    """A command whose help follows the CLI's language."""


def _short_help(text: str, width: int) -> str:
    """The first sentence of ``text``, cut to ``width`` characters with "..." (as click's own)."""
    first = " ".join(text.split("\n\n")[0].split())
    end = first.find(". ")
    first = first if end < 0 else first[:end + 1]
    return first if len(first) <= width else first[:max(width - 3, 1)].rstrip() + "..."
