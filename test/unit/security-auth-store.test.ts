import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { describeAuthStore } from '../contracts/auth-store.contract.ts';

describeAuthStore('sqlite in memory', () => openMetadataStore('sqlite://:memory:'));
