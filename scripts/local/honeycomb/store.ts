/**
 * Everything the stand-in keeps: datasets (per environment, by slug, named by their first event), accepted
 * events, markers and a log of every request. Tests read it through HoneycombStandIn; other processes through
 * the /__standin/ routes. Nothing here knows HTTP.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EventData } from '../../../common/honeycomb/index.js';
import type { FaultKind } from './faults.js';

export interface Dataset {
  /** As first written; later casings resolve to the same dataset. */
  name: string;
  slug: string;
  environment: string;
  scope: string;
  createdAt: Date;
}

export interface StoredEvent {
  /** The dataset's slug. */
  dataset: string;
  environment: string;
  time: Date;
  samplerate: number;
  data: EventData;
  receivedAt: Date;
  keyId: string;
}

/** A marker as the API returns it (§5). `color` comes from marker settings, which are not modelled. */
export interface Marker {
  id: string;
  created_at: string;
  updated_at: string;
  start_time: number;
  end_time?: number;
  message?: string;
  type?: string;
  url?: string;
}

export interface StoredMarker {
  /** The dataset's slug, or __all__ for an environment-wide marker. */
  dataset: string;
  scope: string;
  marker: Marker;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Names in the casing the client sent. */
  rawHeaders: string[];
  bodyBytes: number;
  receivedAt: Date;
  /** Unset while no answer has been written (a hung or reset request never gets one). */
  status?: number;
  fault?: FaultKind;
}

export class Store {
  public readonly events: StoredEvent[] = [];
  public readonly markers: StoredMarker[] = [];
  public readonly requests: RecordedRequest[] = [];
  private readonly datasetIndex = new Map<string, Dataset>();
  private markerSerial = 0;

  public get datasets(): Dataset[] {
    return [...this.datasetIndex.values()];
  }

  public findDataset(scope: string, slug: string): Dataset | undefined {
    return this.datasetIndex.get(`${scope}\n${slug}`);
  }

  /** The dataset with this slug, created under `name` if it is new. */
  public ensureDataset(scope: string, environment: string, name: string, slug: string, at: Date): Dataset {
    const existing = this.findDataset(scope, slug);
    if (existing) return existing;
    const dataset: Dataset = { name, slug, environment, scope, createdAt: at };
    this.datasetIndex.set(`${scope}\n${slug}`, dataset);
    return dataset;
  }

  /** Marker ids are hex from a counter, so runs are repeatable. */
  public nextMarkerId(): string {
    return (++this.markerSerial).toString(16).padStart(8, '0');
  }

  public clear(): void {
    this.events.length = 0;
    this.markers.length = 0;
    this.requests.length = 0;
    this.datasetIndex.clear();
    this.markerSerial = 0;
  }
}
