import { z } from "zod";

/** `page` (from 1) and `pageSize` with the list's own default and maximum. */
export const pageQuery = (defaults: { pageSize: number; maxPageSize: number } = { pageSize: 10, maxPageSize: 100 }) => ({
  page: z.number().int().min(1).max(1_000_000).default(1).describe("Page number, from 1"),
  pageSize: z
    .number()
    .int()
    .min(1)
    .max(defaults.maxPageSize)
    .default(defaults.pageSize)
    .describe(`Items per page, 1–${defaults.maxPageSize}`),
});

export interface PageRequest {
  page: number;
  pageSize: number;
}

export const pageOffset = ({ page, pageSize }: PageRequest) => (page - 1) * pageSize;

export const pageEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    page: z.number().int(),
    pageSize: z.number().int(),
    totalCount: z.number().int(),
    totalPages: z.number().int(),
  });

export const pageInfo = (request: PageRequest, totalCount: number) => ({
  page: request.page,
  pageSize: request.pageSize,
  totalCount,
  totalPages: Math.ceil(totalCount / request.pageSize),
});

export const toPage = <T>(data: T[], request: PageRequest, totalCount: number) => ({
  data,
  ...pageInfo(request, totalCount),
});
