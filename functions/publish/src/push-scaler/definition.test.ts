import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { externalScalerDescriptor } from './definition';

describe('the external scaler definition', () => {
  it('is the vendored externalscaler.proto of KEDA v2.19.0, field for field', () => {
    const vendored = protobuf.loadSync(fileURLToPath(new URL('./third_party/keda/externalscaler.proto', import.meta.url)));
    expect(externalScalerDescriptor).toEqual(vendored.toJSON());
  });
});
