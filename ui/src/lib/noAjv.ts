/** Stands in for @rjsf/validator-ajv8, which @rjsf/core imports only for its test
 * registry: ajv compiles schemas with `new Function`, which the CSP forbids, so the
 * app uses lib/schemaValidator instead (vite.config.ts aliases the import here). */
const refuse = () => {
  throw new Error("ajv is not bundled: the UI validates with lib/schemaValidator (CSP forbids eval)");
};
export default { validateFormData: refuse, isValid: refuse, rawValidation: refuse };
export const customizeValidator = refuse;
