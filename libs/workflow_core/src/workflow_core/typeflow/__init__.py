"""Types through the pipeline: shapes of JSON values, from schemas and expressions.

``shape_of_schema`` reads a JSON Schema, ``infer`` types an expression,
``read``/``write`` follow paths, ``to_schema`` renders a shape as JSON
Schema again. The walk over a definition that uses them is
``workflow_core.validation.scopes.analyse_types``. See README.md.
"""

from workflow_core.typeflow.envelope import (
    ERROR_SHAPE,
    EVENT_SHAPE,
    ITEM_ERRORS_SHAPE,
    META_SHAPE,
    ROOTS,
    Env,
    child_final_env,
    initial_env,
    join_env,
)
from workflow_core.typeflow.from_schema import shape_of_schema
from workflow_core.typeflow.infer import Comparison, Inference, infer, narrowings
from workflow_core.typeflow.lookup import Found, Miss, WriteIntoScalarError, present, read, write
from workflow_core.typeflow.shapes import (
    ANY,
    BOOLEAN,
    INTEGER,
    NEVER,
    NULL,
    NUMBER,
    STRING,
    Field,
    ObjShape,
    Presence,
    Shape,
    array_of,
    closed_object,
    describe,
    join,
    join_all,
    of_value,
    open_map,
)
from workflow_core.typeflow.to_schema import env_schema, to_schema

__all__ = [
    "ANY",
    "BOOLEAN",
    "ERROR_SHAPE",
    "EVENT_SHAPE",
    "INTEGER",
    "ITEM_ERRORS_SHAPE",
    "META_SHAPE",
    "NEVER",
    "NULL",
    "NUMBER",
    "ROOTS",
    "STRING",
    "Comparison",
    "Env",
    "Field",
    "Found",
    "Inference",
    "Miss",
    "ObjShape",
    "Presence",
    "Shape",
    "WriteIntoScalarError",
    "array_of",
    "child_final_env",
    "closed_object",
    "describe",
    "env_schema",
    "infer",
    "initial_env",
    "join",
    "join_all",
    "join_env",
    "narrowings",
    "of_value",
    "open_map",
    "present",
    "read",
    "shape_of_schema",
    "to_schema",
    "write",
]
