"""Apply stage: the only stage that writes, in dependency waves, under the suffix's lease."""
