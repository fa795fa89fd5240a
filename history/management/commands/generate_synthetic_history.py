from django.core.management.base import BaseCommand, CommandError

from history.synthetic import REGIONS, SyntheticHistoryExists, generate


class Command(BaseCommand):
    help = (
        "Generate years of national-scale synthetic quarterly returns for benchmarks and demos: 153 authorities "
        "in 9 regions (London's real 33 plus 120 invented), 200 agencies and an accepted return per unit and "
        "quarter. Everything made is marked synthetic (see history/synthetic.py); --replace deletes only that."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=10, help="Years of quarterly history (default 10).")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Fraction of the national volume: 1 means about 7,000 assignments live at a time.",
        )
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same history.")
        parser.add_argument(
            "--regions",
            default="",
            help=f"Comma-separated region names or codes to limit it to (of: {', '.join(r.name for r in REGIONS)}).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Delete the synthetic history already here first (only that)."
        )

    def handle(self, *args, years, scale, seed, regions, replace, **options):
        def progress(message: str) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(message)
                self.stdout.flush()

        try:
            summary = generate(
                years=years,
                scale=scale,
                seed=seed,
                regions=[r for r in regions.split(",") if r.strip()] or None,
                replace=replace,
                progress=progress,
            )
        except (SyntheticHistoryExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        s = summary
        progress(
            self.style.SUCCESS(
                f"Synthetic history from {s.first_quarter:%B %Y} to the quarter starting {s.last_quarter:%B %Y}:\n"
                f"  {s.authorities} authorities ({s.units} reporting units) in {s.regions} regions, "
                f"{s.agencies} agencies\n"
                f"  {s.periods:,} periods, {s.returns:,} accepted returns, {s.rows:,} assignment rows\n"
                f"  {s.live_at_end:,} assignments live at the end ({s.london_live_at_end:,} in London); "
                f"{s.breaches:,} over the cap, {s.overlaps} workers in two authorities at once, "
                f"{s.cool_offs} starts within the cool-off, {s.low_pqe:,} workers with under 3 years' PQE, "
                f"{s.bid_up:,} returning workers bid up by another borough\n"
                f"  {s.references:,} references, {s.shared_referees} with a referee's contact planted to be shared\n"
                f"  {s.leavers:,} permanent leavers reported; {s.leavers_kept:,} still on the register (the rest "
                "past the cool-off)\n"
                f"  {s.seconds:.1f} seconds"
            )
        )
