import { Module } from '@nestjs/common';
import { ORGANISATION_COMMAND_HANDLERS } from '@app/application/organisations';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { OrganisationsController } from './organisations.controller';
import { OrganisationViews } from './organisation-views';

/** HTTP routes, command handlers and queries of the organisations area. */
@Module({
  imports: [ReadModelsModule],
  controllers: [OrganisationsController],
  providers: [...ORGANISATION_COMMAND_HANDLERS, OrganisationViews],
})
export class OrganisationsModule {}
