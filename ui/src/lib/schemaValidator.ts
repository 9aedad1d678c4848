/** An rjsf validator that interprets JSON Schema (@cfworker/json-schema) instead of
 * compiling it to code: ajv (@rjsf/validator-ajv8) builds validators with
 * `new Function`, which the API's Content-Security-Policy (script-src 'self', no
 * 'unsafe-eval') refuses. The server stays the judge: publish validates every config. */
import { Validator } from "@cfworker/json-schema";
import { type RJSFSchema, type RJSFValidationError, toErrorSchema, type ValidationData, type ValidatorType } from "@rjsf/utils";

type Schema = Record<string, unknown>;

function withRoot(schema: Schema, root: Schema | undefined): Schema {
  if (!root || root === schema) return schema;
  const defs = (root.definitions ?? root.$defs) as Schema | undefined;
  return defs ? { ...schema, definitions: { ...(schema.definitions as Schema | undefined), ...defs }, $defs: { ...(schema.$defs as Schema | undefined), ...defs } } : schema;
}

function run(schema: Schema, data: unknown) {
  try {
    return new Validator(schema as never, "2020-12", false).validate(data);
  } catch (error) {
    return { valid: false, errors: [{ keyword: "schema", keywordLocation: "#", instanceLocation: "#", error: String(error) }] };
  }
}

function property(instanceLocation: string): string {
  const parts = instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean);
  return parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, "/").replace(/~0/g, "~")}`)).join("");
}

export const schemaValidator: ValidatorType = {
  validateFormData(formData: unknown, schema: RJSFSchema): ValidationData<unknown> {
    const result = run(schema as Schema, formData);
    const leafKeywords = new Set(["properties", "allOf", "anyOf", "oneOf", "items", "prefixItems", "$ref", "additionalProperties"]);
    const errors: RJSFValidationError[] = result.errors
      .filter((e) => !leafKeywords.has(e.keyword))
      .map((e) => ({ name: e.keyword, message: e.error, property: property(e.instanceLocation), schemaPath: e.keywordLocation, stack: `${property(e.instanceLocation)} ${e.error}` }));
    return { errors, errorSchema: toErrorSchema(errors) };
  },
  isValid(schema: RJSFSchema, formData: unknown, rootSchema: RJSFSchema): boolean {
    return run(withRoot(schema as Schema, rootSchema as Schema), formData).valid;
  },
  rawValidation<Result>(schema: RJSFSchema, formData?: unknown) {
    const result = run(schema as Schema, formData);
    return { errors: result.errors as unknown as Result[] };
  },
};
