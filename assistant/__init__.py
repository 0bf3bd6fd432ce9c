"""A Dutch question-answering assistant over "De waarde van het sociaal domein"."""
