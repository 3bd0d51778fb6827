#!/usr/bin/env -S npx tsx
// The CDK app entry (cdk.json: "app": "npx tsx infra/app.ts"). Parameters come from context; see docs/deploy.md.
import { buildApp } from './buildApp.ts';

buildApp().app.synth();
