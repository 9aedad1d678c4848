"""Wire models (camelCase JSON): ``XCreate`` bodies in, ``XPublic`` resources out."""
