/**
 * Code of the pipeline's own functions: bundled at synth time from the ESM sources with esbuild, in process, with
 * the options of scripts/build-functions.ts (the bundles the tests run). No Docker: local bundling always
 * answers, so the image below is never pulled. The asset hash is the bundle's, so a redeploy happens exactly when
 * the bundled code or the extra files change.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { functionBuildOptions } from '../scripts/build-functions.js';
import { PACKAGE_ROOT } from './paths.js';

export type PipelineFunctionName = 'aggregator' | 'budget' | 'deploy-marker';

class EsbuildBundling implements ILocalBundling {
  public constructor(private readonly entry: string, private readonly files: Record<string, string>) {}

  public tryBundle(outputDir: string): boolean {
    buildSync({ ...functionBuildOptions(this.entry), outfile: join(outputDir, 'index.js'), minify: true, legalComments: 'none' });
    for (const [name, content] of Object.entries(this.files)) writeFileSync(join(outputDir, name), content);
    return true;
  }
}

/** `files` are written next to the bundle (e.g. budgets.json); Lambda puts them in /var/task. */
export function pipelineFunctionCode(name: PipelineFunctionName, files: Record<string, string> = {}): lambda.Code {
  const source = join(PACKAGE_ROOT, 'functions', name);
  return lambda.Code.fromAsset(source, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: { image: DockerImage.fromRegistry('local-esbuild-only'), local: new EsbuildBundling(join(source, 'index.ts'), files) },
  });
}
