/**
 * IAM documents of the budget action: the policy that blocks new EC2 starts, and the execution
 * role AWS Budgets assumes to attach it. The role may attach and detach only that policy, only on
 * the named users and roles, and only AWS Budgets acting for this account may assume it.
 */

export function denyEc2StartPolicy(): object {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'ScopeCloudBudgetExceeded', Effect: 'Deny', Action: ['ec2:RunInstances', 'ec2:StartInstances'], Resource: '*' }],
  };
}

export function budgetsTrustPolicy(accountId: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'budgets.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  };
}

export function actionRolePolicy(accountId: string, policyArn: string, users: ReadonlyArray<string>, roles: ReadonlyArray<string>): object {
  const statements: object[] = [];
  const only = { ArnEquals: { 'iam:PolicyARN': policyArn } };
  if (users.length) {
    statements.push({
      Sid: 'AttachDenyPolicyToUsers',
      Effect: 'Allow',
      Action: ['iam:AttachUserPolicy', 'iam:DetachUserPolicy'],
      Resource: users.map((u) => `arn:aws:iam::${accountId}:user/${u}`),
      Condition: only,
    });
  }
  if (roles.length) {
    statements.push({
      Sid: 'AttachDenyPolicyToRoles',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: roles.map((r) => `arn:aws:iam::${accountId}:role/${r}`),
      Condition: only,
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}
