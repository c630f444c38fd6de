"""Connexion's request validators, with schemas compiled once instead of on every request.

Connexion's ``ParameterValidator`` deep-copies each parameter and builds a new
jsonschema validator for it on every request; its JSON body validator builds
its validator on every request too. These subclasses cache them.
"""

from __future__ import annotations

from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators.json import JSONRequestBodyValidator
from connexion.validators.parameter import ParameterValidator
from jsonschema import Draft4Validator, ValidationError

from connexion.utils import is_null, is_nullable

_FORMAT_CHECKER = Draft4Validator.FORMAT_CHECKER


class CachedParameterValidator(ParameterValidator):
    _compiled: dict[int, tuple[dict, Draft4Validator]] = {}

    @staticmethod
    def validate_parameter(parameter_type, value, param, param_name=None):
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            # Keyed by the parameter dict's identity; the dict itself is kept so the id stays unique.
            entry = CachedParameterValidator._compiled.get(id(param))
            if entry is None or entry[0] is not param:
                entry = (param, Draft4Validator(param.get("schema", param), format_checker=_FORMAT_CHECKER))
                CachedParameterValidator._compiled[id(param)] = entry
            try:
                entry[1].validate(value)
            except ValidationError as exception:
                return f"{parameter_type} parameter '{param['name']}': {exception.message}"
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None


class CachedJSONBodyValidator(JSONRequestBodyValidator):
    _compiled: dict[int, tuple[dict, object]] = {}

    @property
    def _validator(self):
        entry = CachedJSONBodyValidator._compiled.get(id(self._schema))
        if entry is None or entry[0] is not self._schema:
            entry = (self._schema, JSONRequestBodyValidator._validator.fget(self))
            CachedJSONBodyValidator._compiled[id(self._schema)] = entry
        return entry[1]


VALIDATOR_MAP = {
    **CONNEXION_VALIDATORS,
    "parameter": CachedParameterValidator,
    "body": type(CONNEXION_VALIDATORS["body"])({**CONNEXION_VALIDATORS["body"], "*/*json": CachedJSONBodyValidator}),
}
