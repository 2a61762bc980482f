"""The data model: records, ledgers, vocabularies, the site model and the JSON Schema."""
