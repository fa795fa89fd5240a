from django.core.management.base import BaseCommand

from dashboards.aggregates import rebuild


class Command(BaseCommand):
    help = (
        "Build the dashboards' per-return aggregates of every accepted return that has none or has them from "
        "older rate cards, and drop those of returns no longer accepted. Idempotent; run it after a deploy "
        "that adds or changes the aggregates, or after loading returns without the services. --all rebuilds "
        "every accepted return's."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Rebuild every accepted return's figures.")

    def handle(self, *args, **options):
        def progress(message: str) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(message)

        done = rebuild(everything=options["all"], progress=progress)
        progress(
            self.style.SUCCESS(
                f"Built the figures of {done['built']:,} accepted returns; dropped those of {done['removed']:,} "
                "returns no longer accepted."
            )
        )
