/**
 * What a launch needs besides the preset: the current Amazon Linux 2023 AMI (from its public
 * SSM parameter), that image's root device name, and a security group with no inbound rules
 * (no SSH; shells go through SSM Session Manager, which needs no open port).
 */
import { CreateSecurityGroupCommand, DescribeImagesCommand, DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Ec2Api } from './describe.ts';
import { ComputeError, fromAwsError } from '../aws/errors.ts';
import { APP_TAG_VALUE, TAG } from '../aws/ec2-instance.ts';

export type SsmApi = Pick<SSMClient, 'send'>;

export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
export const NO_INGRESS_GROUP = 'scopecloud-no-ingress';

export async function latestAl2023Ami(ssm: SsmApi, parameter = AL2023_PARAMETER): Promise<string> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: parameter }));
    const id = out.Parameter?.Value;
    if (!id?.startsWith('ami-')) throw new ComputeError('AMI_NOT_FOUND', `SSM parameter ${parameter} holds no AMI id`);
    return id;
  } catch (e) {
    if ((e as { name?: string }).name === 'ParameterNotFound') {
      throw new ComputeError('AMI_NOT_FOUND', `the Amazon Linux 2023 AMI parameter ${parameter} does not exist in this region`);
    }
    throw fromAwsError(e, 'look up the Amazon Linux 2023 AMI');
  }
}

export async function rootDeviceName(ec2: Ec2Api, imageId: string): Promise<string> {
  try {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    const image = out.Images?.[0];
    if (!image) throw new ComputeError('UNKNOWN_IMAGE', `image ${imageId} does not exist in this region`);
    return image.RootDeviceName ?? '/dev/xvda';
  } catch (e) {
    throw fromAwsError(e, `describe image ${imageId}`);
  }
}

/**
 * The id of the app's no-ingress group in the default VPC, created when missing. Inbound rules
 * someone added by hand are revoked: the group's contract is "nothing can connect in".
 */
export async function ensureNoIngressGroup(ec2: Ec2Api): Promise<string> {
  try {
    const found = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [NO_INGRESS_GROUP] }] }));
    const group = found.SecurityGroups?.[0];
    if (group?.GroupId) {
      if (group.IpPermissions?.length) {
        await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: group.IpPermissions }));
      }
      return group.GroupId;
    }
    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: NO_INGRESS_GROUP,
        Description: 'ScopeCloud instances: no inbound access (use SSM Session Manager)',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: TAG.app, Value: APP_TAG_VALUE }] }],
      }),
    );
    if (!created.GroupId) throw new ComputeError('AWS_ERROR', 'CreateSecurityGroup returned no group id');
    return created.GroupId;
  } catch (e) {
    throw fromAwsError(e, `prepare security group ${NO_INGRESS_GROUP}`);
  }
}
