"""AWS access: the regions AWS serves, from botocore's own endpoint data (no call)."""

from __future__ import annotations

import botocore.loaders

from reconciler.errors import InputError


def known_region(region: str) -> str:
    """Refuse a region Lambda does not serve, by botocore's own endpoint data."""
    # botocore's partitions file (7 kB) lists every region; its endpoints file, which
    # get_available_regions reads, costs a tenth of a second on every run.
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    known = {name for partition in partitions for name in partition["regions"]}
    if region not in known:
        raise InputError(f"region {region!r} is not a region AWS Lambda serves")
    return region
