import { join } from 'node:path';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { describeMetadataStore } from '../contracts/metadata-store.contract.ts';
import { tempDir } from '../support/tmp-dir.ts';

const dir = await tempDir();
const uri = `sqlite://${join(dir, 'contract.db')}`;

describeMetadataStore('sqlite', {
  open: () => openMetadataStore(uri),
  reopen: () => openMetadataStore(uri),
});
