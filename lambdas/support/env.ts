/**
 * Environment variables of the support-access functions, in a module of their own so that
 * the Identity stack and the local runtime can set them without bundling the handlers.
 */

/** The name of the support group (config `identity.supportGroupName`); unset, nobody is a support engineer. */
export const SUPPORT_GROUP_NAME_ENV = 'STAXID_SUPPORT_GROUP_NAME';
