// PLACEHOLDER: replaced by the full configuration schema (issue 2). Do not build on these shapes beyond field names.
export type FFConfig = Record<string, any>;
