import { Alert, Button, Group, Modal, MultiSelect, SegmentedControl, Select, Stack, Text } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { useNavigate } from "react-router";
import { describePolicy, type Policy } from "../lib/policy";
import { useTRPC } from "../trpc";
import { StrategySection } from "./StrategySection";

/**
 * Assign a bundle version to devices or groups. Device choices come from a server-side search,
 * so the picker works the same with ten devices or a hundred thousand.
 */
export function AssignDialog({
  bundleId,
  versions,
  opened,
  onClose,
}: {
  bundleId: string;
  versions: string[];
  opened: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const navigate = useNavigate();
  const [targetType, setTargetType] = useState<"device" | "group">("device");
  const [version, setVersion] = useState<string | null>(versions[0] ?? null);
  const [deviceIds, setDeviceIds] = useState<string[]>([]);
  const [groupIds, setGroupIds] = useState<string[]>([]);
  const [search, setSearch] = useState("");
  const [debouncedSearch] = useDebouncedValue(search, 200);
  const [policy, setPolicy] = useState<{ policy: Policy | undefined; problem: string | null }>({
    policy: undefined,
    problem: null,
  });
  const onStrategy = useCallback((next: Policy | undefined, problem: string | null) => setPolicy({ policy: next, problem }), []);

  const devices = useQuery({
    ...trpc.devices.list.queryOptions({ search: debouncedSearch || undefined, page: 1, pageSize: 50 }),
    enabled: opened,
  });
  const groups = useQuery({ ...trpc.groups.list.queryOptions({ page: 1, pageSize: 100 }), enabled: opened });
  // Keep chosen devices listed even when the current search does not match them.
  const [known, setKnown] = useState<Record<string, string>>({});
  const deviceOptions = {
    ...known,
    ...Object.fromEntries((devices.data?.data ?? []).map((device) => [device.id, `${device.name} (${device.id})`])),
  };

  const create = useMutation(
    trpc.rollouts.create.mutationOptions({
      onSuccess: (rollout) => {
        onClose();
        void navigate(`/rollouts/${rollout.rolloutId}`);
      },
    }),
  );

  const submit = () =>
    create.mutate({
      bundleId,
      version: version ?? "",
      targetType,
      ...(targetType === "device" ? { deviceIds } : { groupIds }),
      ...(policy.policy ? { policy: policy.policy } : {}),
    });

  return (
    <Modal opened={opened} onClose={onClose} title="Assign to devices" size="lg">
      <Stack>
        <Select label="Version" data={versions} value={version} onChange={setVersion} allowDeselect={false} />
        <SegmentedControl
          value={targetType}
          onChange={(value) => setTargetType(value as "device" | "group")}
          data={[
            { value: "device", label: "Devices" },
            { value: "group", label: "Groups" },
          ]}
        />
        {targetType === "device" ? (
          <MultiSelect
            label="Devices"
            placeholder="Search by name or id"
            searchable
            searchValue={search}
            onSearchChange={setSearch}
            filter={({ options }) => options}
            data={Object.entries(deviceOptions).map(([value, label]) => ({ value, label }))}
            value={deviceIds}
            onChange={(ids) => {
              setKnown((previous) => ({ ...previous, ...Object.fromEntries(ids.map((id) => [id, deviceOptions[id] ?? id])) }));
              setDeviceIds(ids);
              create.reset(); // an old error no longer applies to a new choice
            }}
          />
        ) : (
          <MultiSelect
            label="Groups"
            placeholder="Pick groups"
            searchable
            data={(groups.data?.data ?? []).map((group) => ({
              value: group.id,
              label: `${group.name} (${group.deviceCount} devices)`,
            }))}
            value={groupIds}
            onChange={(ids) => (setGroupIds(ids), create.reset())}
          />
        )}
        <StrategySection onChange={onStrategy} />
        {policy.problem ? (
          <Alert color="yellow">{policy.problem}</Alert>
        ) : (
          <Text size="sm" data-testid="strategy-summary">
            {describePolicy(policy.policy)}
          </Text>
        )}
        {create.error && (
          <Alert color="red" title="The rollout was not created">
            {create.error.message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button onClick={submit} loading={create.isPending} disabled={policy.problem !== null}>
            Assign
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
