import { Badge } from "@mantine/core";
import { type DeviceStatus, type RolloutStatus, statusColour, statusLabel } from "../lib/format";

export function StatusBadge({ status }: { status: RolloutStatus | DeviceStatus }) {
  return (
    <Badge color={statusColour(status)} variant="light" data-status={status}>
      {statusLabel(status)}
    </Badge>
  );
}
