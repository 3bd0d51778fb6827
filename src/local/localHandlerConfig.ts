import type { HandlerConfig } from '../config/handlerConfig.ts';
import { handlerEnvironment, loadHandlerConfig } from '../config/handlerConfig.ts';
import type { PipelineSettings } from '../config/settings.ts';
import type { LocalResources } from './provision.ts';

/**
 * The ingest handler's configuration for provisioned local resources, built exactly as the CDK stack
 * builds the function's environment (`handlerEnvironment`) and parsed as Lambda parses it.
 */
export const localHandlerConfig = (
  resources: LocalResources,
  settings: Pick<PipelineSettings, 'maxReceiveCount'>,
  tunables?: Parameters<typeof handlerEnvironment>[0]['tunables'],
): HandlerConfig =>
  loadHandlerConfig(
    handlerEnvironment({
      metadataTable: resources.tableName,
      quarantineBucket: resources.quarantineBucket,
      alertsTopicArn: resources.topicArn,
      dlqUrl: resources.dlqUrl,
      maxReceives: settings.maxReceiveCount,
      ...(tunables ? { tunables } : {}),
    }),
  );
