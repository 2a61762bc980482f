"""Publication extras: citations, head metadata, data release, feed, quotes, permanence, corrections."""
