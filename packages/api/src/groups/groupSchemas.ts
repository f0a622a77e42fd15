import { z } from "zod";
import { pageEnvelope, pageQuery } from "../shared/pagination";
import { deviceIdSchema, nameSchema, timestampSchema, uuidSchema } from "../shared/schemas";

const MAX_GROUP_MEMBERS = 200_000;

const memberList = z.array(deviceIdSchema).max(MAX_GROUP_MEMBERS);

export const groupWithMembersSchema = z
  .object({ id: uuidSchema, name: z.string(), deviceIds: z.array(deviceIdSchema) })
  .meta({ id: "GroupWithMembers" });

const groupSummarySchema = z
  .object({ id: uuidSchema, name: z.string(), deviceCount: z.number().int(), createdAt: timestampSchema })
  .meta({ id: "Group" });

export const createGroupInput = z.strictObject({ name: nameSchema, deviceIds: memberList.optional() }).strict();
export const setGroupDevicesInput = z.strictObject({ groupId: uuidSchema, deviceIds: memberList }).strict();
export const listGroupsInput = z.strictObject({ ...pageQuery() });
export const listGroupsOutput = pageEnvelope(groupSummarySchema);
