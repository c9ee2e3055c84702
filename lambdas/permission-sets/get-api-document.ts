import { publicHandler } from '@/lambdas/shared/api';
import spec from '@/spec/stax-permission-sets-20210321.openapi.json';

/** GET /20210321/public/api-document (permissionSets.GetAPIDocument): the spec this API serves, as is. */
export const handler = publicHandler(async () => ({ body: spec }), undefined, 'permission-sets');
