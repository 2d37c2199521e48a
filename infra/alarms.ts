/**
 * The pipeline's alarms, each notifying the alarm topic. What each one means and what to do is in
 * docs/deploy.md#operations.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PipelineAlarmsProps {
  readonly aggregator: lambda.Function;
  readonly budgetFunction?: lambda.Function;
  readonly queues: sqs.Queue[];
  readonly iteratorAgeThreshold: Duration;
  readonly topic: sns.ITopic;
}

const PERIOD = Duration.minutes(1);

export class PipelineAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];

  public constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.topic);
    const add = (alarmId: string, description: string, metric: cloudwatch.IMetric, threshold: number, evaluationPeriods = 1): void => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `lambda-governance: ${description} (see docs/deploy.md#operations)`,
        metric, threshold, evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means no records or no invocations: nothing is wrong.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    };

    add('IteratorAge', `the aggregator is more than ${props.iteratorAgeThreshold.toHumanString()} behind the governance stream`,
      props.aggregator.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD }), props.iteratorAgeThreshold.toMilliseconds(), 3);
    for (const queue of props.queues) {
      add(`${queue.node.id}Depth`, `messages are waiting in ${queue.node.id}`,
        queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }), 1);
    }
    const functions: [string, lambda.Function][] = [['Aggregator', props.aggregator]];
    if (props.budgetFunction) functions.push(['BudgetFunction', props.budgetFunction]);
    for (const [name, fn] of functions) {
      add(`${name}Errors`, `the ${name} function failed`, fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }), 1);
      add(`${name}Throttles`, `the ${name} function was throttled`, fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }), 1);
    }
  }
}
